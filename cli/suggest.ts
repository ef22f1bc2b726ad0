/** "Did you mean ...?" for a mistyped option or command. */
import { editDistance } from '../functions/lib/edit-distance.js';

/** The candidate closest to `input` when it is plausibly a typo of it (or a prefix of it); else `undefined`. */
export function nearest(input: string, candidates: readonly string[]): string | undefined {
  const typed = input.toLowerCase();
  const prefixed = candidates.filter((c) => typed.length >= 3 && c.startsWith(typed));
  if (prefixed.length === 1) return prefixed[0];
  // Short words are one edit from many others: allow one edit under five letters, two from five.
  const allowed = typed.length < 5 ? 1 : 2;
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(typed, candidate);
    if (distance <= allowed && (best === undefined || distance < best.distance))
      best = { candidate, distance };
  }
  return best?.candidate;
}
