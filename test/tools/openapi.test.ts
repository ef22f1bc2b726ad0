import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OPENAPI_PATH, renderOpenApiDocument } from '../../tools/openapi.js';

interface Operation {
  responses: Record<string, unknown>;
  requestBody: { content: { 'application/json': { examples: Record<string, { value: unknown }> } } };
}

function operation(): Operation {
  const document = JSON.parse(renderOpenApiDocument()) as {
    paths: Record<string, { put: Operation }>;
  };
  const path = document.paths['/order/certificate/{order_id}/resend-emails'];
  if (!path) throw new Error('route missing');
  return path.put;
}

describe('the OpenAPI document', () => {
  it('is committed as generated (run npm run openapi after changing the schema)', () => {
    expect(readFileSync(OPENAPI_PATH, 'utf8')).toBe(renderOpenApiDocument());
  });

  it('documents every status of the contract', () => {
    expect(Object.keys(operation().responses).sort()).toEqual(
      ['204', '400', '403', '404', '409', '413', '415', '422', '429', '500', '502', '503', '504'].sort(),
    );
  });

  it("has request examples that the handler's own schema accepts", async () => {
    const { resendBodySchema } = await import('../../functions/resend/request-schema.js');
    for (const example of Object.values(operation().requestBody.content['application/json'].examples)) {
      expect(resendBodySchema.safeParse(example.value).success).toBe(true);
    }
  });
});

describe('the OpenAPI document of GET /order/certificate/{order_id}/dcv', () => {
  const document = JSON.parse(renderOpenApiDocument()) as {
    paths: Record<
      string,
      {
        get: {
          responses: Record<
            string,
            { content: { 'application/json': { schema: { required?: string[] }; example?: unknown } } }
          >;
        };
      }
    >;
  };
  const get = document.paths['/order/certificate/{order_id}/dcv']?.get;

  it("documents the contract's statuses, 404 order_not_found among them", () => {
    expect(Object.keys(get?.responses ?? {}).sort()).toEqual(
      ['200', '400', '404', '429', '500', '502', '503', '504'].sort(),
    );
    expect(JSON.stringify(get?.responses['404'])).toContain('order_not_found');
  });

  it('requires every field of the documented answer, and its example has exactly those', () => {
    const json = get?.responses['200']?.content['application/json'];
    const fields = [
      'order_id',
      'order_status',
      'dcv_method',
      'created_at',
      'pending_hours',
      'domains',
      'random_value_expires_at',
      'email_dcv_sunset',
    ].sort();

    expect([...(json?.schema.required ?? [])].sort()).toEqual(fields);
    expect(Object.keys(json?.example ?? {}).sort()).toEqual(fields);
  });
});
