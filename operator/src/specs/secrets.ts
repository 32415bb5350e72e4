import { randomBytes } from 'node:crypto';
import { agentConfig } from './agent-config.js';
import type { Credentials, RegionBuildContext } from './context.js';
import { credentialsSecretName, regionNames } from './names.js';
import { meta, type KubeObject, type MetaInput } from './object.js';

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

export const CREDENTIAL_KEYS = {
  postgresPassword: 'postgres-password',
  replicationPassword: 'replication-password',
  dataApiToken: 'data-api-token',
} as const;

/** Fresh random credentials (used once, when no credentials Secret exists yet). */
export function generateCredentials(random: (n: number) => Buffer = randomBytes): Credentials {
  const token = (): string => random(24).toString('base64url');
  return { postgresPassword: token(), replicationPassword: token(), dataApiToken: token() };
}

export function credentialsSecret(input: MetaInput, c: Credentials): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: meta(input, credentialsSecretName(input.gdb.name), 'credentials'),
    type: 'Opaque',
    data: {
      [CREDENTIAL_KEYS.postgresPassword]: b64(c.postgresPassword),
      [CREDENTIAL_KEYS.replicationPassword]: b64(c.replicationPassword),
      [CREDENTIAL_KEYS.dataApiToken]: b64(c.dataApiToken),
    },
  };
}

/** Reads credentials back from a Secret's base64 `data`; undefined when any key is missing. */
export function credentialsFromSecretData(
  data: Record<string, string> | undefined,
): Credentials | undefined {
  if (!data) return undefined;
  const get = (k: string): string | undefined =>
    data[k] === undefined ? undefined : Buffer.from(data[k], 'base64').toString('utf8');
  const postgresPassword = get(CREDENTIAL_KEYS.postgresPassword);
  const replicationPassword = get(CREDENTIAL_KEYS.replicationPassword);
  const dataApiToken = get(CREDENTIAL_KEYS.dataApiToken);
  if (!postgresPassword || !replicationPassword || !dataApiToken) return undefined;
  return { postgresPassword, replicationPassword, dataApiToken };
}

export function agentSecret(ctx: RegionBuildContext): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: meta(
      ctx,
      regionNames(ctx.gdb.name, ctx.region.name).agentSecret,
      'config',
      ctx.region.name,
    ),
    type: 'Opaque',
    data: { 'config.json': b64(JSON.stringify(agentConfig(ctx), null, 2) + '\n') },
  };
}
