/**
 * The import graph of our own code (functions/, cli/, dev/, infra/, tools/): every relative import,
 * `import type` and `import()` included, read with TypeScript's own pre-processor. It has no
 * cycles, and imports point inward (docs/design and STYLE: triggers -> features -> lib).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const DIRS = ['functions', 'cli', 'dev', 'infra', 'tools'];
const SOURCE = /\.(ts|mts|mjs|js)$/;

/** The features: they never import a trigger or the Lambda entry. */
const FEATURES = [
  'resend',
  'dcv',
  'digicert',
  'secrets',
  'rate-limit',
  'aws',
  'dns',
  'observability',
  'lib',
  'client',
].map((dir) => `functions/${dir}/`);
const OUTER = ['functions/triggers/', 'functions/resend-dcv-emails/'];

/**
 * Cycles allowed, each a sorted list of the files in one strongly connected component: none. The
 * test fails when an entry no longer matches a cycle, so a stale entry cannot linger.
 */
const ALLOWED_CYCLES: readonly (readonly string[])[] = [];

/**
 * Imports against the layering that existed when this test was written (issue 21), listed so the
 * test guards against new ones; each should go (a feature owning the type it needs). The test
 * fails when an entry no longer exists, so fixing one means deleting its line here.
 */
const KNOWN_LAYERING_EXCEPTIONS: readonly string[] = [
  // The error codes (app/contract.ts) and the batch result type sit outside lib.
  'functions/lib/errors.ts -> functions/app/contract.ts',
  'functions/lib/errors.ts -> functions/resend/batch-result.ts',
];

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts'))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)));
}

/** `./x.js` names `x.ts` under NodeNext; a specifier that names no file of ours is left out. */
function resolveImport(from: string, specifier: string, files: ReadonlySet<string>): string | undefined {
  const target = relative(ROOT, resolve(ROOT, dirname(from), specifier));
  const candidates = [target, target.replace(/\.js$/, '.ts'), target.replace(/\.mjs$/, '.mts')];
  return candidates.find((candidate) => files.has(candidate));
}

function importGraph(): Map<string, string[]> {
  const files = new Set(DIRS.flatMap(sourceFiles));
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(join(ROOT, file), 'utf8'), true, true);
    const targets = importedFiles
      .map(({ fileName }) => fileName)
      .filter((specifier) => specifier.startsWith('.'))
      .map((specifier) => resolveImport(file, specifier, files))
      .filter((target): target is string => target !== undefined);
    graph.set(file, [...new Set(targets)].sort());
  }
  return graph;
}

/** Tarjan's strongly connected components with more than one file, or a file importing itself. */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, index.size);
    low.set(node, index.get(node) ?? 0);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) ?? 0, low.get(next) ?? 0));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) ?? 0, index.get(next) ?? 0));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    for (let member = stack.pop(); member !== undefined; member = stack.pop()) {
      onStack.delete(member);
      component.push(member);
      if (member === node) break;
    }
    if (component.length > 1 || (graph.get(node) ?? []).includes(node)) found.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found.sort((a, b) => (a[0] ?? '').localeCompare(b[0] ?? ''));
}

/** `from -> to` for each import from a file under one of `from` to a file under one of `to`. */
function importsBetween(
  graph: ReadonlyMap<string, readonly string[]>,
  from: string[],
  to: (t: string) => boolean,
) {
  return [...graph].flatMap(([file, targets]) =>
    from.some((dir) => file.startsWith(dir))
      ? targets.filter(to).map((target) => `${file} -> ${target}`)
      : [],
  );
}

const graph = importGraph();

describe('the import graph of functions/, cli/, dev/, infra/ and tools/', () => {
  it('reads the relative imports of every source file, type imports and import() included', () => {
    // A guard on the walk itself: a graph it failed to read would have no cycles either.
    expect(graph.size).toBeGreaterThan(100);
    expect(graph.get('functions/resend-dcv-emails/handler.ts')).toContain('functions/triggers/http.ts');
    expect(
      cycles(
        new Map([
          ['a.ts', ['b.ts']],
          ['b.ts', ['a.ts']],
          ['c.ts', ['a.ts']],
        ]),
      ),
    ).toEqual([['a.ts', 'b.ts']]);
  });

  it('has no import cycle besides the temporary allow-list, and each allowed cycle still exists', () => {
    expect(cycles(graph)).toEqual(ALLOWED_CYCLES);
  });

  it('has no feature importing a trigger or the Lambda entry, besides the known exceptions', () => {
    const inward = importsBetween(graph, FEATURES, (target) => OUTER.some((dir) => target.startsWith(dir)));

    expect(inward).toEqual(
      KNOWN_LAYERING_EXCEPTIONS.filter((edge) => edge.includes('-> functions/triggers/')),
    );
  });

  it('has functions/lib import nothing of ours outside functions/lib, besides the known exceptions', () => {
    const outward = importsBetween(
      graph,
      ['functions/lib/'],
      (target) => !target.startsWith('functions/lib/'),
    );

    expect(outward).toEqual(KNOWN_LAYERING_EXCEPTIONS.filter((edge) => edge.startsWith('functions/lib/')));
  });
});
