// Schema transforms: pure rewrites of the document's JSON schemas before ajv sees them. Each walks a schema's subschemas
// through one traversal, mapSubschemas, so the keywords that hold subschemas are listed once.
import { extensionNote, type OpenApiDocument } from './openapi';

const subschemaMaps = ['properties', 'patternProperties', '$defs', 'dependentSchemas'];
const subschemaLists = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];
const subschemaSingles = [
  'items',
  'not',
  'if',
  'then',
  'else',
  'contains',
  'additionalProperties',
  'propertyNames',
  'unevaluatedItems',
  'unevaluatedProperties',
];

/** Applies `visit` to every direct subschema of a schema node (properties, allOf items, items, …), keeping the rest as is. */
export function mapSubschemas(schema: Record<string, unknown>, visit: (sub: unknown) => unknown): Record<string, unknown> {
  const out: Record<string, unknown> = { ...schema };
  for (const key of subschemaMaps) {
    const map = out[key];
    if (typeof map === 'object' && map !== null) out[key] = Object.fromEntries(Object.entries(map).map(([name, sub]) => [name, visit(sub)]));
  }
  for (const key of subschemaLists) {
    const list = out[key];
    if (Array.isArray(list)) out[key] = list.map(visit);
  }
  for (const key of subschemaSingles) {
    if (key in out) out[key] = visit(out[key]);
  }
  return out;
}

/** A schema node that can hold keywords (not a boolean schema, a value or a list). */
function isSchemaObject(schema: unknown): schema is Record<string, unknown> {
  return typeof schema === 'object' && schema !== null && !Array.isArray(schema);
}

/**
 * Copies each `x-inferred` note down to every subschema under it that has none of its own, so that an error in any
 * node (ajv's `parentSchema`) names the note of the inferred rule it belongs to. References are not followed: a
 * component carries its own notes.
 */
export function inheritInferred<T>(schema: T, inherited: string | undefined): T {
  if (!isSchemaObject(schema)) return schema;
  const own = extensionNote(schema['x-inferred']) ?? inherited;
  const out = mapSubschemas(schema, (sub) => inheritInferred(sub, own));
  if (own !== undefined) out['x-inferred'] = own;
  return out as T;
}

/** Every component schema with its notes inherited. */
export function inheritInferredComponents(components: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(components).map(([name, schema]) => [name, inheritInferred(schema, undefined)]));
}

/** The documented part of a schema: every subschema carrying `x-inferred` becomes `{}`, which accepts anything. */
export function withoutInferred<T>(schema: T): T {
  if (!isSchemaObject(schema)) return schema;
  if (extensionNote(schema['x-inferred']) !== undefined) return {} as T;
  return mapSubschemas(schema, withoutInferred) as T;
}

/** Every component schema, documented part only. */
export function withoutInferredComponents(components: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(components).map(([name, schema]) => [name, withoutInferred(schema)]));
}

/**
 * Sets `additionalProperties: false` on every object schema that declares properties and says nothing about extras.
 * Used only to *find* undocumented properties; a combinator schema is left open, where closing would be wrong.
 */
export function closeObjects<T>(schema: T): T {
  if (!isSchemaObject(schema)) return schema;
  const out = mapSubschemas(schema, closeObjects);
  const combinator = ['allOf', 'anyOf', 'oneOf', '$ref'].some((key) => key in out);
  const open = 'additionalProperties' in out || 'unevaluatedProperties' in out || 'patternProperties' in out;
  if ('properties' in out && !combinator && !open) out.additionalProperties = false;
  return out as T;
}

/** Points `#/components/schemas/X` references at the compiled component bundle `<id>#/$defs/X` (every node, schema or not). */
export function rewriteRefs<T>(node: T, id: string): T {
  if (Array.isArray(node)) return (node as unknown[]).map((item) => rewriteRefs(item, id)) as T;
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    out[key] =
      key === '$ref' && typeof value === 'string' && value.startsWith('#/components/schemas/')
        ? `${id}#/$defs/${value.slice('#/components/schemas/'.length)}`
        : rewriteRefs(value, id);
  }
  return out as T;
}

/** Every `x-` key used anywhere in the document, so ajv's strict mode accepts them and still catches typos. */
export function extensionKeywords(document: OpenApiDocument): string[] {
  const found = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (typeof node === 'object' && node !== null) {
      for (const [key, value] of Object.entries(node)) {
        if (key.startsWith('x-')) found.add(key);
        visit(value);
      }
    }
  };
  visit(document);
  return [...found];
}
