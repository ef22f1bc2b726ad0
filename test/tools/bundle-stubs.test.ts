/**
 * The undici modules the deployable bundle replaces (`BUNDLE_STUBS` in `tools/bundle-options.ts`)
 * are never reached by the DigiCert client; if one ever were, it must fail with an error that says
 * what was left out and where, not with a TypeError deep inside undici.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { BUNDLE_STUBS } from '../../tools/bundle-options.js';

const require = createRequire(import.meta.url);

/** Runs a stub's CommonJS source and returns its `module.exports`. */
function evaluate(contents: string): unknown {
  const module: { exports: unknown } = { exports: {} };
  new Function('module', 'exports', contents)(module, module.exports);
  return module.exports;
}

/** The stub's callable exports: the module itself when it is a function, else its function members. */
function callables(exports: unknown): [string, (...args: unknown[]) => unknown][] {
  if (typeof exports === 'function') return [['module.exports', exports as (...args: unknown[]) => unknown]];
  return Object.entries(exports as Record<string, unknown>).filter(
    (entry): entry is [string, (...args: unknown[]) => unknown] => typeof entry[1] === 'function',
  );
}

describe.each(BUNDLE_STUBS.map((stub) => [stub.module, stub] as const))('the stub for %s', (module, stub) => {
  it('exports what the real module’s importers use, with the same shape', () => {
    const real: unknown = require(module);
    const fake = evaluate(stub.contents);

    expect(typeof fake).toBe(typeof real);
    for (const [name] of callables(fake)) {
      if (name !== 'module.exports')
        expect(typeof (real as Record<string, unknown>)[name], name).toBe('function');
    }
  });

  it('throws an error naming what was left out and BUNDLE_STUBS when it is called', () => {
    const functions = callables(evaluate(stub.contents));

    expect(functions.length).toBeGreaterThan(0);
    for (const [, fn] of functions) {
      expect(() => fn()).toThrow(
        /left out of the dcv-resend bundle \(tools\/bundle-options\.ts, BUNDLE_STUBS\)/,
      );
    }
  });
});
