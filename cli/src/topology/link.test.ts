import { describe, expect, it } from 'vitest';
import { Link, natsGatewayOrigin } from './link-proxy.js';

describe('Link', () => {
  it('samples the delay within ± jitter and never below zero', () => {
    const l = new Link('a', 'b', { delayMs: 40, jitterMs: 5 });
    for (let i = 0; i < 1000; i++) {
      const d = l.sampleDelay();
      expect(d).toBeGreaterThanOrEqual(35);
      expect(d).toBeLessThanOrEqual(45);
    }
    l.setLatency({ delayMs: 1, jitterMs: 5 });
    for (let i = 0; i < 1000; i++) expect(l.sampleDelay()).toBeGreaterThanOrEqual(0);
  });

  it('rejects negative latency', () => {
    expect(() => new Link('a', 'b', { delayMs: -1, jitterMs: 0 })).toThrow(/delayMs must be >= 0/);
    expect(() => new Link('a', 'b', { delayMs: 1, jitterMs: Number.NaN })).toThrow(/jitterMs/);
  });

  it('sever/restore toggle the cut state', () => {
    const l = new Link('a', 'b');
    expect(l.cut).toBe(false);
    l.sever();
    expect(l.cut).toBe(true);
    l.restore();
    expect(l.cut).toBe(false);
    expect(l.name).toBe('a->b');
  });
});

describe('natsGatewayOrigin', () => {
  const links = new Map([['eu-west', new Link('eu-west', 'us-east')]]);
  const resolve = natsGatewayOrigin((from) => links.get(from));

  it('finds the link of the region named in a gateway CONNECT', () => {
    const line =
      'CONNECT {"echo":false,"verbose":false,"pedantic":false,"tls_required":false,"name":"NABC","gateway":"eu-west"}';
    expect(resolve(line)).toBe(links.get('eu-west'));
  });

  it('returns undefined for other first lines or unknown regions', () => {
    expect(resolve('PING')).toBeUndefined();
    expect(resolve('CONNECT {not json}')).toBeUndefined();
    expect(resolve('CONNECT {"gateway":"ap-south"}')).toBeUndefined();
    expect(resolve('CONNECT {"name":"client"}')).toBeUndefined();
  });
});
