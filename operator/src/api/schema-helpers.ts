/**
 * Tiny builders for OpenAPI v3 (structural) schemas as Kubernetes CRDs accept them.
 * Every builder takes a description first, so `kubectl explain` documents every field.
 */
export interface JsonSchema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: (string | number)[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  nullable?: boolean;
  'x-kubernetes-validations'?: CelRule[];
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
}

export interface CelRule {
  rule: string;
  message: string;
  fieldPath?: string;
  reason?:
    'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

type Extra = Omit<JsonSchema, 'type' | 'description' | 'properties' | 'required' | 'items'>;

export function obj(
  description: string,
  properties: Record<string, JsonSchema>,
  required: string[] = [],
  extra: Extra = {},
): JsonSchema {
  const s: JsonSchema = { type: 'object', description, properties, ...extra };
  if (required.length > 0) s.required = required;
  return s;
}
export function arr(description: string, items: JsonSchema, extra: Extra = {}): JsonSchema {
  return { type: 'array', description, items, ...extra };
}
export function str(description: string, extra: Extra = {}): JsonSchema {
  return { type: 'string', description, ...extra };
}
export function int(description: string, extra: Extra = {}): JsonSchema {
  return { type: 'integer', description, ...extra };
}
export function num(description: string, extra: Extra = {}): JsonSchema {
  return { type: 'number', description, ...extra };
}
export function bool(description: string, extra: Extra = {}): JsonSchema {
  return { type: 'boolean', description, ...extra };
}

/** The metav1.Condition schema (the shape `kubectl describe` and tools expect). */
export function conditionsSchema(description: string): JsonSchema {
  return arr(
    description,
    obj(
      'One condition of the resource (metav1.Condition).',
      {
        type: str('Kind of condition, e.g. Ready.', { maxLength: 316 }),
        status: str('True, False or Unknown.', { enum: ['True', 'False', 'Unknown'] }),
        observedGeneration: int('The .metadata.generation the condition was computed from.', {
          minimum: 0,
        }),
        lastTransitionTime: str('When the condition last changed status.', { format: 'date-time' }),
        reason: str('A CamelCase machine-readable reason for the last transition.', {
          maxLength: 1024,
        }),
        message: str('A human-readable message with details about the transition.', {
          maxLength: 32768,
        }),
      },
      ['type', 'status', 'lastTransitionTime', 'reason', 'message'],
    ),
    { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] },
  );
}

/** Every property path in a schema that lacks a description (used by tests: `kubectl explain` must document every field). */
export function undocumentedPaths(schema: JsonSchema, path = ''): string[] {
  const out: string[] = [];
  if (!schema.description) out.push(path || '<root>');
  for (const [k, v] of Object.entries(schema.properties ?? {}))
    out.push(...undocumentedPaths(v, path ? `${path}.${k}` : k));
  if (schema.items) out.push(...undocumentedPaths(schema.items, `${path}[]`));
  return out;
}
