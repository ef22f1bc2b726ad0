/**
 * A batch file: `{"orders": [...]}`, a JSON array, or NDJSON (one order per line). Every error
 * about one order names where it is in the file, as an editor or compiler would: `file:line` for a
 * line of NDJSON, `file:line:column` for an element of a JSON document.
 */
import { readFile } from 'node:fs/promises';
import { type Issue, ValidationError } from '../functions/lib/errors.js';
import { isRecord } from '../functions/lib/is-record.js';
import { UsageError } from './exit-codes.js';
import type { Io } from './io.js';

export interface OrdersFile {
  /** The orders as parsed, not yet validated. */
  readonly orders: unknown;
  /** Where order `index` starts, e.g. `orders.ndjson:2`. */
  readonly locate: (index: number) => string;
}

/** Reads FILE, or standard input for `-`; an unreadable file is a usage error. */
export async function readOrdersText(file: string, io: Io): Promise<string> {
  try {
    return file === '-' ? await io.readStdin() : await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Parses the file's text; a syntax error names the line. `name` is how errors call the file. */
export function parseOrdersFile(text: string, name: string): OrdersFile {
  const trimmed = text.trim();
  if (trimmed === '') throw ValidationError.single('orders', `${name} is empty`);
  let whole: unknown;
  let isJson = true;
  try {
    whole = JSON.parse(trimmed);
  } catch {
    // Not one JSON document: NDJSON, one order per line.
    isJson = false;
  }
  if (isJson) {
    const starts = elementStarts(text);
    const orders = Array.isArray(whole)
      ? whole
      : isRecord(whole) && 'orders' in whole
        ? whole.orders
        : [whole];
    return {
      orders,
      locate: (index) => {
        const start = starts[index];
        return start === undefined ? name : `${name}:${position(text, start)}`;
      },
    };
  }
  const orders: unknown[] = [];
  const lines: number[] = [];
  for (const [index, line] of text.split(/\r?\n/).entries()) {
    if (line.trim() === '') continue;
    try {
      orders.push(JSON.parse(line));
      lines.push(index + 1);
    } catch {
      throw ValidationError.single(
        `${name}:${index + 1}`,
        'is not valid JSON (expected one order per line)',
        'invalid_json',
      );
    }
  }
  return { orders, locate: (index) => `${name}:${lines[index] ?? '?'}` };
}

/**
 * The batch's issues with `orders.<i>.<field>` rewritten to `<file>:<line>: <field>`, so that a
 * validation error points where a syntax error would.
 */
export function locateIssues(error: ValidationError, file: OrdersFile): ValidationError {
  const issues = error.issues.map((issue): Issue => {
    const match = /^orders\.(\d+)(?:\.(.*))?$/.exec(issue.field);
    if (!match) return issue;
    const where = file.locate(Number(match[1]));
    return { ...issue, field: match[2] ? `${where}: ${match[2]}` : where };
  });
  return new ValidationError(issues, { cause: error });
}

function position(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `${line}:${column}`;
}

/**
 * Offsets of the orders in a valid JSON document: the elements of a top-level array, of the
 * top-level `"orders"` array (the last one, as `JSON.parse` keeps), or the document itself.
 */
function elementStarts(text: string): number[] {
  const first = skipSpace(text, 0);
  if (text[first] === '[') return arrayElements(text, first);
  if (text[first] !== '{') return [first];
  let found: number[] = [first];
  let i = skipSpace(text, first + 1);
  while (text[i] === '"') {
    const keyEnd = skipValue(text, i);
    const key: unknown = JSON.parse(text.slice(i, keyEnd));
    const valueStart = skipSpace(text, skipSpace(text, keyEnd) + 1);
    if (key === 'orders' && text[valueStart] === '[') found = arrayElements(text, valueStart);
    i = skipSpace(text, skipValue(text, valueStart));
    if (text[i] === ',') i = skipSpace(text, i + 1);
  }
  return found;
}

function arrayElements(text: string, open: number): number[] {
  const starts: number[] = [];
  let i = skipSpace(text, open + 1);
  while (i < text.length && text[i] !== ']') {
    starts.push(i);
    i = skipSpace(text, skipValue(text, i));
    if (text[i] === ',') i = skipSpace(text, i + 1);
  }
  return starts;
}

function skipSpace(text: string, i: number): number {
  let at = i;
  while (at < text.length && /\s/.test(text[at] as string)) at++;
  return at;
}

/** The offset just after the JSON value starting at `i` (the text is known to parse). */
function skipValue(text: string, i: number): number {
  const opener = text[i];
  if (opener === '"') {
    let at = i + 1;
    while (at < text.length && text[at] !== '"') at += text[at] === '\\' ? 2 : 1;
    return at + 1;
  }
  if (opener === '{' || opener === '[') {
    let depth = 0;
    let at = i;
    while (at < text.length) {
      const char = text[at];
      if (char === '"') {
        at = skipValue(text, at);
        continue;
      }
      if (char === '{' || char === '[') depth++;
      else if (char === '}' || char === ']') {
        depth--;
        if (depth === 0) return at + 1;
      }
      at++;
    }
    return at;
  }
  let at = i;
  while (at < text.length && !/[\s,\]}]/.test(text[at] as string)) at++;
  return at;
}
