// Summarizes V8 .cpuprofile files: self time by function and by package/file, top N.
//   node test/bench/support/profile-summary.mjs <file.cpuprofile>... [--top 30]
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const topIdx = args.indexOf('--top');
const top = topIdx >= 0 ? Number(args.splice(topIdx, 2)[1]) : 30;
for (const file of args) {
  const p = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const dt = new Map();
  for (let i = 0; i < p.samples.length; i++) dt.set(p.samples[i], (dt.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
  const total = [...dt.values()].reduce((a, b) => a + b, 0);
  const fnSelf = new Map();
  const fileSelf = new Map();
  for (const [id, us] of dt) {
    const cf = byId.get(id).callFrame;
    const where = cf.url ? cf.url.replace(/^file:\/\//, '').replace(/.*node_modules\//, 'nm:').replace(/.*\/work\/main\//, '') : '(native)';
    const fn = `${cf.functionName || '(anon)'} ${where}:${cf.lineNumber + 1}`;
    fnSelf.set(fn, (fnSelf.get(fn) ?? 0) + us);
    if (cf.functionName === "(idle)" || cf.functionName === "(program)") continue;
    const pkg = where.startsWith('nm:') ? where.split('/').slice(0, where.startsWith('nm:@') ? 2 : 1).join('/') : where;
    fileSelf.set(pkg, (fileSelf.get(pkg) ?? 0) + us);
  }
  const idle = [...dt].filter(([id]) => ["(idle)", "(program)"].includes(byId.get(id).callFrame.functionName)).reduce((a, [, v]) => a + v, 0);
  console.log(`\n${file}: ${(total / 1e6).toFixed(1)} s sampled, ${((total - idle) / 1e6).toFixed(1)} s busy`);
  const show = (m, label) => {
    console.log(`  -- self time by ${label} (% of busy)`);
    for (const [k, v] of [...m].filter(([k]) => !k.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, top))
      console.log(`  ${((100 * v) / (total - idle)).toFixed(1).padStart(5)}%  ${k}`);
  };
  show(fileSelf, 'file/package');
  show(fnSelf, 'function');
}
