import { describe, expect, it, vi } from 'vitest';
import {
  createLogger,
  type LogLevel,
  lambdaLogLevel,
  registerSecret,
  resolveLogLevel,
} from '../../functions/observability/logger.js';
import { CANARY_KEY } from '../support/harness.js';

const FIXED_NOW = () => new Date('2026-11-29T16:00:00.000Z');

function capture(level: LogLevel = 'info') {
  const lines: string[] = [];
  const logger = createLogger({ level, write: (line) => lines.push(line), now: FIXED_NOW });
  return { lines, logger };
}

describe('resolveLogLevel', () => {
  it.each([
    [{}, 'info'],
    [{ LOG_LEVEL: 'debug' }, 'debug'],
    [{ LOG_LEVEL: 'WARN' }, 'warn'],
    [{ LOG_LEVEL: '' }, 'info'],
    [{ AWS_LAMBDA_LOG_FORMAT: 'JSON', AWS_LAMBDA_LOG_LEVEL: 'ERROR' }, 'error'],
    [{ AWS_LAMBDA_LOG_FORMAT: 'JSON', AWS_LAMBDA_LOG_LEVEL: 'TRACE' }, 'debug'],
    [{ AWS_LAMBDA_LOG_FORMAT: 'Text', AWS_LAMBDA_LOG_LEVEL: 'ERROR' }, 'info'],
    [{ LOG_LEVEL: 'debug', AWS_LAMBDA_LOG_FORMAT: 'JSON', AWS_LAMBDA_LOG_LEVEL: 'WARN' }, 'warn'],
    [{ LOG_LEVEL: 'error', AWS_LAMBDA_LOG_FORMAT: 'JSON', AWS_LAMBDA_LOG_LEVEL: 'INFO' }, 'error'],
  ] as const)('resolves %j to %s', (env, expected) => {
    expect(resolveLogLevel(env)).toBe(expected);
  });

  it('refuses an unknown LOG_LEVEL with a ConfigurationError naming it', () => {
    expect(() => resolveLogLevel({ LOG_LEVEL: 'verbose' })).toThrow(
      expect.objectContaining({
        name: 'ConfigurationError',
        message: expect.stringMatching(/^LOG_LEVEL must be/),
      }),
    );
  });

  it("ignores Lambda's log level unless the log format is JSON", () => {
    expect(lambdaLogLevel({ AWS_LAMBDA_LOG_LEVEL: 'WARN' })).toBeUndefined();
  });
});

describe('createLogger', () => {
  it('writes one JSON object per line with timestamp, level, message and fields', () => {
    const { lines, logger } = capture();

    logger.info('order sent', { orderId: 123, outcome: 'sent' });

    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toEqual({
      timestamp: '2026-11-29T16:00:00.000Z',
      level: 'INFO',
      message: 'order sent',
      orderId: 123,
      outcome: 'sent',
    });
  });

  it('drops lines below its level', () => {
    const { lines, logger } = capture('warn');

    logger.debug('noise');
    logger.info('noise');
    logger.warn('kept');

    expect(lines.map((line) => JSON.parse(line).message)).toEqual(['kept']);
  });

  it('adds the fields of a child logger to every line', () => {
    const { lines, logger } = capture();

    logger.child({ requestId: 'r-1', correlationId: 'c-1' }).info('order sent', { orderId: 1 });

    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ requestId: 'r-1', correlationId: 'c-1', orderId: 1 });
  });

  it('writes raw records whatever its level', () => {
    const { lines, logger } = capture('error');

    logger.write({ _aws: { Timestamp: 1 }, OrdersSent: 1 });

    expect(JSON.parse(lines[0] ?? '')).toEqual({ _aws: { Timestamp: 1 }, OrdersSent: 1 });
  });

  it('leaves undefined fields out of the line', () => {
    const { lines, logger } = capture();

    logger.info('order sent', { orderId: 1, attempts: undefined });

    expect(JSON.parse(lines[0] ?? '')).not.toHaveProperty('attempts');
  });

  it('redacts a registered secret from lines and raw records', () => {
    registerSecret(CANARY_KEY);
    const { lines, logger } = capture();

    logger.error('oops', { detail: `key was ${CANARY_KEY}` });
    logger.write({ property: CANARY_KEY });

    expect(lines.join('\n')).not.toContain(CANARY_KEY);
    expect(lines.join('\n')).toContain('[REDACTED]');
  });

  it('redacts a registered secret holding a quote or a backslash, raw and as encoded in the JSON line', () => {
    const quoted = 'QUOTED-"key"-7f3a9c21e4b84d0f';
    const slashed = 'SLASHED-\\key\\-7f3a9c21e4b84d0f';
    registerSecret(quoted);
    registerSecret(slashed);
    const { lines, logger } = capture();

    logger.error('oops', { detail: `key was ${quoted}`, other: slashed });
    logger.write({ property: quoted });

    const text = lines.join('\n');
    for (const secret of [quoted, slashed]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(JSON.stringify(secret).slice(1, -1));
    }
    expect(text).not.toContain('7f3a9c21e4b84d0f');
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ detail: 'key was [REDACTED]', other: '[REDACTED]' });
  });

  it.each([
    ['no child fields, no line fields', {}, undefined],
    ['child fields and line fields', { requestId: 'r-1', source: 'http' }, { orderId: 1, durationMs: 3 }],
    [
      'a line field reusing a child field',
      { requestId: 'r-1', source: 'http' },
      { source: 'sqs', orderId: 2 },
    ],
    [
      'a line field reusing a leading key',
      { requestId: 'r-1' },
      { level: 'custom', message: 'm', orderId: 3 },
    ],
    ['undefined values', { requestId: 'r-1', gone: undefined }, { orderId: undefined, requestId: undefined }],
  ] as const)('writes the text of the spread record, with %s', (_, base, fields) => {
    const { lines, logger } = capture();

    logger.child(base).warn('order "sent"', fields);

    const record = {
      timestamp: FIXED_NOW().toISOString(),
      level: 'WARN',
      message: 'order "sent"',
      ...base,
      ...fields,
    };
    expect(lines).toEqual([JSON.stringify(record)]);
  });
});

describe('the default logger on stdout', () => {
  it('hands the lines of one synchronous turn to stdout in one write, before an awaiting caller resumes', async () => {
    const written: string[] = [];
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const logger = createLogger({ now: FIXED_NOW });
      const invocation = async () => {
        logger.info('order sent', { orderId: 1 });
        logger.write({ OrdersSent: 1 });
      };

      await invocation();

      expect(written).toHaveLength(1);
      expect(written[0]?.split('\n')).toEqual([
        JSON.stringify({
          timestamp: FIXED_NOW().toISOString(),
          level: 'INFO',
          message: 'order sent',
          orderId: 1,
        }),
        '{"OrdersSent":1}',
        '',
      ]);
    } finally {
      stdout.mockRestore();
    }
  });

  it('never lets a failing stdout reach the caller', async () => {
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => {
      throw new Error('EPIPE');
    });
    try {
      createLogger().error('stdout is gone');
      await Promise.resolve();
      expect(stdout).toHaveBeenCalledTimes(1);
    } finally {
      stdout.mockRestore();
    }
  });
});
