import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../specs/index.js';
import { declaredHash, upToDate, type AppliedRecord } from './applied.js';

const svc = (name: string, rv?: string, port = 5432): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'db', ...(rv ? { resourceVersion: rv } : {}) },
  spec: { ports: [{ port }] },
});
const declared = [svc('a'), svc('b')];
const last: AppliedRecord = {
  hash: declaredHash(declared),
  resourceVersions: new Map([
    ['Service/db/a', '10'],
    ['Service/db/b', '11'],
  ]),
};
const cluster = (...objs: KubeObject[]) =>
  new Map(objs.map((o) => [`${o.kind}/${o.metadata.namespace}/${o.metadata.name}`, o]));

describe('upToDate', () => {
  it('is true when the declaration and every object are as last applied', () => {
    expect(
      upToDate(last, declaredHash(declared), declared, cluster(svc('a', '10'), svc('b', '11'))),
    ).toBe(true);
  });

  it('is false with nothing applied yet, or a changed declaration', () => {
    const existing = cluster(svc('a', '10'), svc('b', '11'));
    expect(upToDate(undefined, declaredHash(declared), declared, existing)).toBe(false);
    const changed = [svc('a', undefined, 5433), svc('b')];
    expect(declaredHash(changed)).not.toBe(last.hash);
    expect(upToDate(last, declaredHash(changed), changed, existing)).toBe(false);
  });

  it('is false when an object was deleted, edited (resourceVersion moved) or an extra one must be pruned', () => {
    const hash = declaredHash(declared);
    expect(upToDate(last, hash, declared, cluster(svc('a', '10')))).toBe(false);
    expect(upToDate(last, hash, declared, cluster(svc('a', '10'), svc('b', '12')))).toBe(false);
    expect(
      upToDate(last, hash, declared, cluster(svc('a', '10'), svc('b', '11'), svc('c', '3'))),
    ).toBe(false);
  });
});
