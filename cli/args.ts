/**
 * The command line of one command: Node's strict `parseArgs`, plus what it does not do for us:
 * a repeated single-value option is refused (it would silently keep the last one), and an unknown
 * option gets the nearest known one and the command's `--help`.
 */
import { parseArgs } from 'node:util';
import { UsageError } from './exit-codes.js';
import { nearest } from './suggest.js';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly multiple?: boolean;
  readonly short?: string;
}

/** The options every command takes: where it runs, and how it reports. */
export const COMMON_OPTIONS = {
  local: { type: 'boolean' },
  'function-name': { type: 'string' },
  'dry-run': { type: 'boolean' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Record<string, OptionSpec>;

export const TARGET_HELP = `Target (where the resend runs):
  --local                 in this process, against DigiCert directly (the default). The key comes
                          from DIGICERT_API_KEY, or from the secret named by DIGICERT_API_KEY_SECRET_ID
                          (with your AWS credentials); with neither, an embedded DigiCert simulator
                          is used and a note says so. DIGICERT_BASE_URL selects us (default) or eu.
  --function-name NAME    invoke the deployed function NAME (or its ARN) with your AWS credentials
                          and region (AWS_REGION or your profile's); NAME is the stack's
                          FunctionName output, read as the README's "Call it deployed" shows
  --dry-run               validate, and pre-check each DCV address here (DNS from this machine);
                          nothing is sent. Exits 3 for an address that cannot approve its domain
                          only with DCV_PRECHECK=enforce

Output:
  --json                  one JSON document on stdout instead of human-readable lines
  --verbose               the function's own log lines and metric documents (JSON) on stderr
                          (local runs; standard output only ever holds the result)
  -h, --help              this help`;

export interface CommandLine {
  /** The command, for "see dcv-resend <command> --help". */
  readonly command: string;
  /** What to say when a single-value option is repeated, by option name. */
  readonly repeatHints?: Readonly<Record<string, string>>;
}

/** Parses `args` against `options`; throws `UsageError` with the fix for anything it cannot take. */
export function parseOptions<T extends Record<string, OptionSpec>>(
  args: readonly string[],
  options: T,
  how: CommandLine,
) {
  const help = `see dcv-resend ${how.command} --help`;
  try {
    const { values, tokens } = parseArgs({
      args: [...args],
      options,
      allowPositionals: false,
      strict: true,
      tokens: true,
    });
    const counts = new Map<string, number>();
    for (const token of tokens) {
      if (token.kind === 'option') counts.set(token.name, (counts.get(token.name) ?? 0) + 1);
    }
    for (const [name, count] of counts) {
      const spec = options[name];
      if (count > 1 && spec?.type === 'string' && spec.multiple !== true) {
        const hint = how.repeatHints?.[name] ?? `give it once (${help})`;
        throw new UsageError(`--${name} was given ${count} times; ${hint}`);
      }
    }
    return values;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw fromParseArgsError(error, Object.keys(options), help);
  }
}

function fromParseArgsError(error: unknown, known: readonly string[], help: string): UsageError {
  const code = error instanceof Error && 'code' in error ? error.code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const option = /Unknown option '([^']+)'/.exec(message)?.[1] ?? '';
    const name = option.replace(/^-+/, '').split('=')[0] ?? '';
    const guess = nearest(name, known);
    return new UsageError(`unknown option '${option}'${guess ? `; did you mean --${guess}?` : ''} (${help})`);
  }
  // Node adds advice about positionals after '--' that does not apply to this command line.
  return new UsageError(`${message.replace(/\. To specify.*$/s, '')} (${help})`);
}
