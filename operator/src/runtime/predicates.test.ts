import { describe, expect, it } from 'vitest';
import { specOrMetadataChanged } from './predicates.js';

const obj = (metadata: Record<string, unknown>, status?: unknown) => ({
  metadata: { generation: 1, finalizers: ['f'], labels: { a: '1' }, ...metadata },
  status,
});

describe('specOrMetadataChanged', () => {
  it('ignores an update that only changed the status', () => {
    expect(specOrMetadataChanged(obj({}, { lag: 0.2 }), obj({}, { lag: 0.1 }))).toBe(false);
  });

  it('sees a spec change (generation), deletion, and finalizer, label or annotation changes', () => {
    const old = obj({});
    expect(specOrMetadataChanged(obj({ generation: 2 }), old)).toBe(true);
    expect(specOrMetadataChanged(obj({ deletionTimestamp: '2026-11-23T00:00:00Z' }), old)).toBe(
      true,
    );
    expect(specOrMetadataChanged(obj({ finalizers: [] }), old)).toBe(true);
    expect(specOrMetadataChanged(obj({ labels: { a: '2' } }), old)).toBe(true);
    expect(specOrMetadataChanged(obj({ annotations: { x: 'y' } }), old)).toBe(true);
  });
});
