import { describe, expect, it } from 'vitest';
import {
  DEFAULT_POSTGRES_SETTINGS,
  postgresSettings,
  postgresUrl,
  quoteConfValue,
  renderPgHba,
  renderPostgresConf,
} from './postgres-config.js';

describe('postgresSettings', () => {
  it('has what logical capture and hot standbys need, on loopback only', () => {
    const s = postgresSettings({ port: 5433, socketDir: '/tmp/r/socket' });
    expect(s).toMatchObject({
      wal_level: 'logical',
      max_wal_senders: '20',
      max_replication_slots: '20',
      hot_standby: 'on',
      shared_buffers: '64MB',
      listen_addresses: '127.0.0.1',
      port: '5433',
      unix_socket_directories: '/tmp/r/socket',
    });
    // Durability settings are PostgreSQL's defaults unless a caller overrides them.
    expect(s.fsync).toBeUndefined();
    expect(s.synchronous_commit).toBeUndefined();
  });

  it('applies overrides (e.g. fsync=off for test suites) but never the address, port or socket', () => {
    const s = postgresSettings({
      port: 5433,
      socketDir: '/s',
      settings: { fsync: 'off', shared_buffers: '32MB', listen_addresses: '*', port: '1' },
    });
    expect(s.fsync).toBe('off');
    expect(s.shared_buffers).toBe('32MB');
    expect(s.listen_addresses).toBe('127.0.0.1');
    expect(s.port).toBe('5433');
    expect(DEFAULT_POSTGRES_SETTINGS.shared_buffers).toBe('64MB');
  });

  it('rejects a bad port or setting name', () => {
    expect(() => postgresSettings({ port: 0, socketDir: '/s' })).toThrow(/port must be an integer/);
    expect(() =>
      postgresSettings({ port: 5432, socketDir: '/s', settings: { 'bad name': 'x' } }),
    ).toThrow(/not a PostgreSQL setting name/);
  });
});

describe('renderPostgresConf', () => {
  it('quotes every value', () => {
    const text = renderPostgresConf({ wal_level: 'logical', log_line_prefix: "%m it's" });
    expect(text).toContain("wal_level = 'logical'\n");
    expect(text).toContain("log_line_prefix = '%m it''s'\n");
  });

  it('escapes backslashes and quotes', () => {
    expect(quoteConfValue("a\\b'c")).toBe("'a\\\\b''c'");
  });
});

describe('renderPgHba', () => {
  it('trusts loopback and the unix socket only, for normal and replication connections', () => {
    const lines = renderPgHba()
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split(/\s+/));
    expect(lines.every((l) => l[l.length - 1] === 'trust')).toBe(true);
    const addresses = lines.filter((l) => l[0] === 'host').map((l) => l[3]);
    expect(new Set(addresses)).toEqual(new Set(['127.0.0.1/32', '::1/128']));
    expect(lines.some((l) => l[0] === 'host' && l[1] === 'replication')).toBe(true);
  });
});

describe('postgresUrl', () => {
  it('builds the superuser URL of the app database', () => {
    expect(postgresUrl(5433)).toBe('postgres://borealis@127.0.0.1:5433/app');
    expect(postgresUrl(5433, 'postgres')).toBe('postgres://borealis@127.0.0.1:5433/postgres');
  });
});
