export * from './crds.js';
export * from './types.js';
export * from './conditions.js';
export { undocumentedPaths, type JsonSchema, type CelRule } from './schema-helpers.js';
export { renderCrdFiles, renderCrdYaml, GENERATED_HEADER } from './render-crds.js';
