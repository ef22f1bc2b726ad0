/**
 * Vitest setup: drops the function's JSON log lines (and metric documents) that reach standard
 * output in a test worker, so that `npm test` prints results, not log records. They come from code
 * that writes to stdout as it must in Lambda, where no logger can be injected: the deployed handler
 * module and the telemetry of an invocation whose environment is invalid. Tests that assert on
 * logs capture them: the harness's logger collects its lines, and a `vi.spyOn(process.stdout,
 * 'write')` installed in a test sees every write before this filter does. Anything else on stdout
 * (a test's own output) passes through.
 */
const LOG_RECORD = /^\{"(timestamp|_aws)":/;

const write = process.stdout.write.bind(process.stdout);
process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
  const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
  if (LOG_RECORD.test(text)) {
    const callback = rest.find((arg): arg is () => void => typeof arg === 'function');
    callback?.();
    return true;
  }
  return (write as (chunk: string | Uint8Array, ...rest: unknown[]) => boolean)(chunk, ...rest);
}) as typeof process.stdout.write;
