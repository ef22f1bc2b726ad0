import { describe, expect, it } from 'vitest';
import { editDistance } from '../../functions/lib/edit-distance.js';

describe('editDistance', () => {
  it.each([
    ['resend', 'resend', 0],
    ['rsend', 'resend', 1],
    ['resends', 'resend', 1],
    ['resemd', 'resend', 1],
    ['emial', 'email', 1],
    ['', 'abc', 3],
    ['serviceNmae', 'serviceName', 1],
    ['kitten', 'sitting', 3],
  ] as const)('counts %s -> %s as %i edits (a swap of neighbours is one)', (a, b, expected) => {
    expect(editDistance(a, b)).toBe(expected);
  });
});
