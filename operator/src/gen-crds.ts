#!/usr/bin/env node
/** Writes charts/borealis/crds/*.yaml from operator/src/api/crds.ts (the single source of truth). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderCrdFiles } from './api/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = join(root, 'charts', 'borealis', 'crds');
mkdirSync(dir, { recursive: true });
for (const [name, text] of renderCrdFiles()) {
  writeFileSync(join(dir, name), text);
  console.log(`wrote ${join('charts/borealis/crds', name)}`);
}
