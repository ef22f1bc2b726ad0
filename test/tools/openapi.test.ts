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
