/**
 * The stack outputs and retained resources the docs name, against the synthesised template: every
 * `--query` names an output the stack has, and README's Clean up covers every kind it keeps.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEPLOYMENT_DEFAULTS } from '../../functions/app/contract.js';
import { synth } from '../infra/support.js';
import {
  allOutputs,
  cleanup,
  commands,
  flags,
  KEPT,
  outputsTable,
  type Resource,
  ROOT,
  section,
  words,
} from '../support/docs.js';

describe('stack outputs named in README.md and docs/deploy.md (and docs/cli.md, docs/callers.md)', () => {
  it('exist in the synthesised template, in --query expressions and in prose', () => {
    const outputs = allOutputs();
    for (const doc of ['README.md', 'docs/deploy.md', 'docs/cli.md', 'docs/callers.md']) {
      const text = readFileSync(join(ROOT, doc), 'utf8');
      const named = [
        ...text.matchAll(/OutputKey=='([A-Za-z0-9]+)'/g),
        ...text.matchAll(/`([A-Z][A-Za-z0-9]+)` outputs?\b/g),
      ]
        .map((m) => m[1] ?? '')
        .concat(outputsTable(text));

      // README and deploy.md name many outputs; the docs a README section moved to, at least one.
      expect(named.length, doc).toBeGreaterThan(doc === 'README.md' || doc === 'docs/deploy.md' ? 2 : 0);
      expect(
        named.filter((name) => !outputs.has(name)),
        doc,
      ).toEqual([]);
    }
  });

  it("are each listed in docs/deploy.md's outputs table", () => {
    const deploy = readFileSync(join(ROOT, 'docs/deploy.md'), 'utf8');
    const listed = new Set(outputsTable(deploy));

    expect([...allOutputs()].filter((name) => !listed.has(name))).toEqual([]);
  });
});

describe('README Clean up', () => {
  const text = section('Clean up');
  const lines = commands(text);

  it('names each kind of resource the stack retains, with the commands that delete it, in order', () => {
    const retained = new Set(
      [synth(), synth({ schedules: [{ name: 'c', expression: 'rate(1 day)', payload: { order_id: 1 } }] })]
        .flatMap(({ template }) => Object.values(template.toJSON().Resources as Record<string, Resource>))
        .filter((resource) => resource.DeletionPolicy === 'Retain')
        .map((resource) => resource.Type),
    );
    const steps = lines.flatMap((line) => cleanup(line) ?? []);

    expect(retained.size).toBeGreaterThan(0);
    for (const type of retained) {
      const kept = KEPT[type];
      expect(kept, `README's Clean up (and KEPT here) covers ${type}`).toBeDefined();
      expect(text, type).toMatch(kept?.kind ?? /^$/);
      const mine = steps.filter((step) => step.type === type).map((step) => step.command);
      expect(mine.length, type).toBe(kept?.commands.length);
      kept?.commands.forEach(([start, idFlag], i) => {
        expect(mine[i]?.startsWith(`${start} `), `${type}: ${mine[i]}`).toBe(true);
        expect(mine[i]?.endsWith(` ${idFlag}`), `${type}: ${mine[i]}`).toBe(true);
      });
    }
    expect(steps.filter((step) => !retained.has(step.type))).toEqual([]);
  });

  it('lists the resources before cdk destroy, into the file the clean-up lines read', () => {
    const listing = lines.findIndex((l) => l.startsWith('aws cloudformation list-stack-resources '));
    const destroy = lines.indexOf('npx cdk destroy');
    const args = words(lines[listing] ?? '');
    const { values } = flags(args);

    expect(listing).toBeGreaterThanOrEqual(0);
    expect(listing).toBeLessThan(destroy);
    expect(values.get('--stack-name')).toBe(DEPLOYMENT_DEFAULTS.stackName);
    // One `type<TAB>physical id` line per resource: what awk's $1 and $2 read.
    expect(values.get('--query')).toBe('StackResourceSummaries[].[ResourceType,PhysicalResourceId]');
    expect(values.get('--output')).toBe('text');
    expect(args.slice(-2)[0]).toBe('>');
    for (const [i, line] of lines.entries()) {
      const step = cleanup(line);
      if (!step) continue;
      expect(step.file, line).toBe(args.at(-1));
      expect(i, line).toBeGreaterThan(destroy);
    }
  });
});
