/**
 * What a DigiCert API key looks like, checked where a key is read (Secrets Manager or the local
 * `DIGICERT_API_KEY`). DigiCert's keys are long random tokens; anything short, or holding spaces,
 * quotes, backslashes or control characters, is a mistake (a placeholder, a pasted JSON fragment,
 * a line break), and such a value would also escape the log redactor in its JSON-encoded form.
 */

export const MIN_API_KEY_LENGTH = 20;

/** The rule, in words, for error messages (which never contain the value itself). */
export const API_KEY_RULE = `at least ${MIN_API_KEY_LENGTH} characters of visible ASCII, without spaces, quotes, backslashes or control characters`;

// Visible ASCII (which excludes whitespace, control characters and non-ASCII) less " ' ` and \.
const KEY_CHARACTERS = /^[\x21\x23-\x26\x28-\x5b\x5d-\x5f\x61-\x7e]+$/;

/** Whether `key` can be a DigiCert API key (docs/contract.md §5). */
export function isPlausibleApiKey(key: string): boolean {
  return key.length >= MIN_API_KEY_LENGTH && KEY_CHARACTERS.test(key);
}
