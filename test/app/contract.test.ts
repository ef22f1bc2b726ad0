/**
 * The values of `functions/app/contract.ts` against the things that must agree with them and
 * cannot import them: package.json, the typed errors' names, the HTTP mapping, and docs/contract.md.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  ENV,
  ERROR_CODES,
  ERROR_TYPES,
  HTTP_ERROR_STATUS,
  RESEND_ROUTE_KEY,
  USER_AGENT,
  VERSION,
} from '../../functions/app/contract.js';
import {
  BatchError,
  ConfigurationError,
  DigiCertRequestError,
  OrderNotFoundError,
  UpstreamError,
  ValidationError,
} from '../../functions/lib/errors.js';
import { HttpRequestError } from '../../functions/triggers/api-gateway.js';
import { errorResponse } from '../../functions/triggers/error-mapping.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CONTRACT_DOC = readFileSync(`${ROOT}docs/contract.md`, 'utf8');

/** The project's own sources and docs, as `[path, text]`. */
function* sources(): Generator<[string, string]> {
  yield ['README.md', readFileSync(`${ROOT}README.md`, 'utf8')];
  for (const folder of ['functions', 'infra', 'cli', 'dev', 'tools', 'test', 'docs']) {
    for (const entry of readdirSync(`${ROOT}${folder}`, { recursive: true, encoding: 'utf8' })) {
      if (!/\.(ts|md)$/.test(entry) || entry.includes('node_modules')) continue;
      const file = `${folder}/${entry}`;
      yield [file, readFileSync(`${ROOT}${file}`, 'utf8')];
    }
  }
}

describe('the contract module', () => {
  it("carries package.json's version in the user agent", () => {
    const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
    expect(USER_AGENT).toBe(`dcv-resend/${pkg.version}`);
  });

  it('pins the route, the names callers match on and the statuses of docs/contract.md §2', () => {
    // Literal on purpose: these are the published contract, not derived values.
    expect(RESEND_ROUTE_KEY).toBe('PUT /order/certificate/{order_id}/resend-emails');
    expect(Object.values(ERROR_TYPES)).toEqual([
      'ValidationError',
      'DigiCertRequestError',
      'UpstreamError',
      'ConfigurationError',
      'BatchError',
    ]);
    expect(HTTP_ERROR_STATUS).toMatchObject({
      invalid_input: 400,
      payload_too_large: 413,
      unsupported_media_type: 415,
      request_limit_exceeded: 429,
      upstream_auth_failed: 502,
      secret_unavailable: 503,
      upstream_timeout: 504,
      idempotency_key_reused: 422,
      request_in_progress: 409,
      state_unavailable: 503,
      dcv_email_not_allowed: 400,
      order_not_found: 404,
    });
  });

  it('names each typed error as the contract does', () => {
    const errors = [
      ValidationError.single('order_id', 'bad', 'invalid_order_id'),
      new DigiCertRequestError(404, []),
      new UpstreamError('upstream_timeout', 'slow'),
      new ConfigurationError('secret_unavailable', 'gone'),
      new BatchError({ sent: 0, failed: 0, results: [] }),
    ];
    expect(errors.map((error) => error.name)).toEqual(Object.values(ERROR_TYPES));
  });

  it('answers every code of the HTTP layer, upstream and configuration with its contract status', () => {
    const cases: [unknown, string][] = [
      ...ERROR_CODES.ValidationError.map((code): [unknown, string] => [
        ValidationError.single('', 'x', code),
        code,
      ]),
      ...ERROR_CODES.HttpRequestError.map((code): [unknown, string] => [
        new HttpRequestError(code, 'x'),
        code,
      ]),
      ...ERROR_CODES.UpstreamError.map((code): [unknown, string] => [new UpstreamError(code, 'x'), code]),
      [new ConfigurationError('secret_unavailable', 'x'), 'secret_unavailable'],
      [new ConfigurationError('upstream_auth_failed', 'x'), 'upstream_auth_failed'],
      [new ConfigurationError('invalid_configuration', 'x'), 'internal_error'],
      [new OrderNotFoundError(123), 'order_not_found'],
      [new Error('boom'), 'internal_error'],
    ];
    for (const [error, code] of cases) {
      const response = errorResponse(error, 'req-1');
      const body = JSON.parse(response.body) as { errors: { code: string }[] };
      expect(body.errors[0]?.code, code).toBe(code);
      expect(response.statusCode, code).toBe(HTTP_ERROR_STATUS[code as keyof typeof HTTP_ERROR_STATUS]);
    }
  });
});

describe('docs/contract.md', () => {
  it('documents every error type, error code and function variable of the contract module', () => {
    const documented = [
      ...Object.values(ERROR_TYPES),
      ...Object.keys(HTTP_ERROR_STATUS).filter(
        (code) => code !== 'not_found' && code !== 'method_not_allowed',
      ),
      ...Object.values(ENV).filter((name) => !name.startsWith('AWS_LAMBDA_') && name !== 'NODE_OPTIONS'),
    ];
    for (const name of documented) expect(CONTRACT_DOC, name).toContain(`\`${name}\``);
  });

  it('has the twelve numbered sections that the code cites', () => {
    const sections = [...CONTRACT_DOC.matchAll(/^## (\d+)\. /gm)].map((match) => match[1]);
    expect(sections).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12']);
  });

  it('is cited by section number only where that section exists, and never as CONTRACT', () => {
    for (const [file, text] of sources()) {
      for (const [citation, section] of text.matchAll(/docs\/contract\.md §(\d+)/g)) {
        expect(CONTRACT_DOC, `${file}: ${citation}`).toMatch(new RegExp(`^## ${section}\\. `, 'm'));
      }
      // The spec file outside the repository; written with a class so this line does not match itself.
      expect(text, file).not.toMatch(/CONTRAC[T] §/);
    }
  });
});
