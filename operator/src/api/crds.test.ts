import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  allCrds,
  failoverDrillSpecSchema,
  globalDatabaseSpecSchema,
  globalDatabaseStatusSchema,
  failoverDrillStatusSchema,
} from './crds.js';
import { renderCrdFiles } from './render-crds.js';
import { undocumentedPaths } from './schema-helpers.js';

const crdDir = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'charts',
  'borealis',
  'crds',
);

describe('CRD source of truth', () => {
  it('charts/borealis/crds/ holds exactly the YAML generated from crds.ts (run `npm run gen:crds` when this fails)', () => {
    const expected = renderCrdFiles();
    const onDisk = readdirSync(crdDir)
      .filter((f) => f.endsWith('.yaml'))
      .sort();
    expect(onDisk).toEqual([...expected.keys()].sort());
    for (const [name, text] of expected)
      expect(readFileSync(join(crdDir, name), 'utf8'), name).toBe(text);
  });

  it('the generated YAML parses back to the same objects', () => {
    for (const c of allCrds()) {
      const text = renderCrdFiles().get(`${c.metadata.name}.yaml`);
      expect(parse(text ?? '')).toEqual(c);
    }
  });

  it('documents every field (kubectl explain)', () => {
    for (const s of [
      globalDatabaseSpecSchema,
      globalDatabaseStatusSchema,
      failoverDrillSpecSchema,
      failoverDrillStatusSchema,
    ]) {
      expect(undocumentedPaths(s)).toEqual([]);
    }
  });

  it('has the printer columns of DESIGN §8, and the regions in -o wide', () => {
    const gdb = allCrds()[0]!;
    const versions = gdb.spec['versions'] as { additionalPrinterColumns: { name: string }[] }[];
    expect(versions[0]!.additionalPrinterColumns.map((c) => c.name.toUpperCase())).toEqual([
      'PRIMARY',
      'EPOCH',
      'REGIONS',
      'MAX-LAG',
      'PHASE',
      'AGE',
      'REGION-STATES',
    ]);
    const wideOnly = versions[0]!.additionalPrinterColumns.filter(
      (c) => (c as { priority?: number }).priority === 1,
    );
    expect(wideOnly.map((c) => c.name)).toEqual(['Region-States']);
  });
});
