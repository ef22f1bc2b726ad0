/**
 * Names and values as this adapter's callers write them and as Route 53 does. Our API: lower case,
 * no trailing dot (`example.com`). Route 53 returns names fully qualified (`example.com.`) with
 * characters other than letters, digits, `-` and `_` as octal escapes (`*.example.com` comes back as
 * `\052.example.com.`); it accepts either form on the way in. TXT values are one or more quoted
 * character-strings (`"v=spf1 -all"`, `"part one" "part two"`); Route 53's escapes, in names and in TXT
 * values alike, are octal (`\052`), not the decimal of zone files.
 */
import { RecordNameError } from './errors.js';

const LABEL = /^(?:\*|[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)$/;

/** `Example.COM.` or `\052.example.com.` to `example.com` / `*.example.com`; throws {@link RecordNameError} on anything that is not a DNS name. */
export function normaliseName(raw: string): string {
  const name = fromRoute53Name(raw);
  const labels = name.split('.');
  if (name.length === 0 || name.length > 253 || !labels.every((label) => LABEL.test(label))) {
    throw new RecordNameError(raw);
  }
  if (labels.slice(1).includes('*')) throw new RecordNameError(raw);
  return name;
}

/** A name as Route 53 returns it, decoded and lower-cased, without the trailing dot; not validated. */
export function fromRoute53Name(raw: string): string {
  return raw
    .trim()
    .replace(/\\(\d{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)))
    .toLowerCase()
    .replace(/\.$/, '');
}

/** Where a name's DCV record goes: a wildcard (`*.example.com`) is validated at its base name. */
export function baseName(name: string): string {
  return name.startsWith('*.') ? name.slice(2) : name;
}

/** The name as Route 53 writes it (fully qualified). */
export function toRoute53Name(name: string): string {
  return `${name}.`;
}

/** `a.b.example.com` → `a.b.example.com`, `b.example.com`, `example.com`, `com`: longest first. */
export function suffixesOf(name: string): string[] {
  const labels = name.split('.');
  return labels.map((_, index) => labels.slice(index).join('.'));
}

/** A TXT value as Route 53 wants it: quoted character-strings of at most 255 characters each. */
export function quoteTxt(value: string): string {
  const escaped = (chunk: string) => chunk.replace(/["\\]/g, (c) => `\\${c}`);
  const chunks = value.match(/[\s\S]{1,255}/g) ?? [''];
  return chunks.map((chunk) => `"${escaped(chunk)}"`).join(' ');
}

/** The text a TXT value carries: its character-strings joined; an unquoted value is taken as it is. */
export function unquoteTxt(value: string): string {
  const trimmed = value.trim();
  if (!trimmed.startsWith('"')) return trimmed;
  let text = '';
  let inside = false;
  for (let i = 0; i < trimmed.length; i += 1) {
    const c = trimmed[i];
    if (!inside) {
      if (c === '"') inside = true;
      continue;
    }
    if (c === '"') {
      inside = false;
    } else if (c === '\\') {
      const octal = /^\d{3}/.exec(trimmed.slice(i + 1));
      if (octal) {
        text += String.fromCharCode(Number.parseInt(octal[0], 8));
        i += 3;
      } else {
        text += trimmed[i + 1] ?? '';
        i += 1;
      }
    } else {
      text += c;
    }
  }
  return text;
}

/** A CNAME target compared the DNS way: case-insensitive, with or without the trailing dot. */
export function sameTarget(a: string, b: string): boolean {
  return a.trim().toLowerCase().replace(/\.$/, '') === b.trim().toLowerCase().replace(/\.$/, '');
}
