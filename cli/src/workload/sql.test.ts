import { describe, expect, it } from 'vitest';
import { behind, converged } from './convergence.js';
import { pickOp } from './sql.js';

describe('pickOp', () => {
  it('only inserts while the table is nearly empty', () => {
    for (const r of [0, 0.5, 0.85, 0.95]) expect(pickOp(r, 3)).toBe('insert');
  });
  it('mixes inserts, updates, deletes and multi-statement transactions', () => {
    expect(pickOp(0.1, 100)).toBe('insert');
    expect(pickOp(0.5, 100)).toBe('update');
    expect(pickOp(0.85, 100)).toBe('delete');
    expect(pickOp(0.95, 100)).toBe('batch');
  });
});

describe('converged', () => {
  const a = { region: 'us-east', rows: 10, checksum: 'abc' };
  it('is true only when every region has the primary row count and checksum', () => {
    expect(converged([a, { ...a, region: 'eu-west' }])).toBe(true);
    expect(converged([a, { ...a, region: 'eu-west', checksum: 'abd' }])).toBe(false);
    expect(converged([a, { ...a, region: 'eu-west', rows: 9 }])).toBe(false);
    expect(converged([{ ...a, rows: null, checksum: null }])).toBe(false);
    expect(converged([])).toBe(false);
  });
});

describe('behind', () => {
  it('names the regions that differ from the primary', () => {
    const p = { region: 'us-east', rows: 10, checksum: 'a' };
    expect(
      behind([p, { ...p, region: 'eu-west' }, { region: 'ap-south', rows: 7, checksum: 'b' }]),
    ).toEqual(['ap-south (7 rows vs 10)']);
  });
});
