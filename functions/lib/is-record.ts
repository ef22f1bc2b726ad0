/** A plain JSON-like object (not null, not an array): what every event and payload check starts from. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
