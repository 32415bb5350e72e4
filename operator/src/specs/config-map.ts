import { natsConfig, pgHbaConf, postgresEntrypoint, postgresqlConf } from './config-files.js';
import type { RegionBuildContext } from './context.js';
import { regionNames } from './names.js';
import { meta, type KubeObject } from './object.js';

export function regionConfigMap(ctx: RegionBuildContext): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta(
      ctx,
      regionNames(ctx.gdb.name, ctx.region.name).config,
      'config',
      ctx.region.name,
    ),
    data: {
      'nats.conf': natsConfig(ctx),
      'postgresql.conf': postgresqlConf(),
      'pg_hba.conf': pgHbaConf(),
      'postgres-entrypoint.sh': postgresEntrypoint(),
    },
  };
}
