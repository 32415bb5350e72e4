import { mirrorStreamName as agentMirrorStreamName } from '../../../region-agent/src/wire/names.js';
import { describe, expect, it } from 'vitest';
import { mirrorStreamName } from './protocol.js';

describe('promotion protocol shapes', () => {
  it('names mirrors exactly as the region agents do', () => {
    for (const [db, region, epoch] of [
      ['app', 'us-east', 1],
      ['orders', 'eu-west', 2],
      ['x', 'ap-south-1', 17],
    ] as const) {
      expect(mirrorStreamName(db, region, epoch)).toBe(agentMirrorStreamName(db, region, epoch));
    }
  });
});
