#!/usr/bin/env node
import { CommanderError } from 'commander';
import { CommandError } from './commands/index.js';
import { buildProgram } from './program.js';

function explain(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e && depth < 5; depth++) {
    const msg = e instanceof Error ? e.message : JSON.stringify(e);
    if (!parts.some((p) => p.includes(msg))) parts.push(msg);
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join('\n  caused by: ');
}

try {
  await buildProgram().parseAsync(process.argv);
  process.exit(0);
} catch (err) {
  if (err instanceof CommanderError) {
    // commander printed the message (or help/version) already.
    process.exit(err.exitCode === 0 ? 0 : 2);
  }
  process.stderr.write(`borealis: ${explain(err)}\n`);
  process.exit(err instanceof CommandError ? err.code : 1);
}
