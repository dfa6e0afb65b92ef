// The contract-violation info series' labels: a breaking finding's place as a path of the OpenAPI schema (never a name the target made up), bounded values.
import type { OpenAPIV3_1 } from 'openapi-types';
import { resolveRef, type Contract, type OpenApiDocument } from '../../contract/index';

/** At most this many violations per probe become series (bounded cardinality: 3 per target×operation). */
export const maxViolationSeries = 3;

/** The longest `expected` or `observed` label value, in characters, after control characters are escaped. */
export const maxViolationLabelLength = 64;

/** One breaking finding as the info series' labels. */
export interface ContractViolation {
  /** A JSON pointer into the response schema (`/data/apps_count`; `*` stands for any array index); '' for the whole body. */
  pointer: string;
  /** What the schema wants, e.g. `integer`. */
  expected: string;
  /** What came, bounded and with control characters escaped, e.g. `"4" (string)`. */
  observed: string;
}

type Schema = OpenAPIV3_1.SchemaObject | OpenAPIV3_1.ReferenceObject;

/**
 * The part of a body pointer that exists in the operation's response schema for this status: each segment is followed
 * through `properties` (an array index through `items`, written `*`), and the walk stops at the first segment the schema
 * does not name. So a finding inside an undocumented property is reported at its nearest documented ancestor, and the
 * label never holds a property name the target chose.
 */
export function schemaPointer(contract: Pick<Contract, 'document'>, operationId: string, status: number, bodyPointer: string): string {
  const root = responseSchema(contract.document, operationId, status);
  if (!root || bodyPointer === '') return '';
  const segments = bodyPointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const kept: string[] = [];
  let nodes: OpenAPIV3_1.SchemaObject[] = expand(contract.document, root);
  for (const segment of segments) {
    const next: OpenAPIV3_1.SchemaObject[] = [];
    let label: string | undefined;
    for (const node of nodes) {
      const property = node.properties && Object.hasOwn(node.properties, segment) ? node.properties[segment] : undefined;
      if (property) {
        next.push(...expand(contract.document, property));
        label = segment;
      } else if (/^(0|[1-9]\d*)$/.test(segment) && 'items' in node && node.items) {
        next.push(...expand(contract.document, node.items));
        label = '*';
      }
    }
    if (label === undefined || next.length === 0) break;
    kept.push(label.replace(/~/g, '~0').replace(/\//g, '~1'));
    nodes = next;
  }
  return kept.length === 0 ? '' : `/${kept.join('/')}`;
}

/** The schema with its allOf/oneOf/anyOf branches, references resolved (bounded depth against odd documents). */
function expand(doc: OpenApiDocument, schema: Schema, depth = 0): OpenAPIV3_1.SchemaObject[] {
  if (depth > 8) return [];
  const resolved = resolveRef<OpenAPIV3_1.SchemaObject>(doc, schema);
  const out: OpenAPIV3_1.SchemaObject[] = [resolved];
  for (const key of ['allOf', 'oneOf', 'anyOf'] as const) for (const branch of resolved[key] ?? []) out.push(...expand(doc, branch, depth + 1));
  return out;
}

function responseSchema(doc: OpenApiDocument, operationId: string, status: number): Schema | undefined {
  for (const item of Object.values(doc.paths ?? {})) {
    if (!item) continue;
    for (const operation of Object.values(item) as unknown[]) {
      if (typeof operation !== 'object' || operation === null || (operation as { operationId?: unknown }).operationId !== operationId) continue;
      const responses = (operation as OpenAPIV3_1.OperationObject).responses ?? {};
      const response = responses[String(status)];
      if (!response) return undefined;
      const content = resolveRef<OpenAPIV3_1.ResponseObject>(doc, response).content ?? {};
      const media = content['application/json'] ?? Object.values(content)[0];
      return media?.schema;
    }
  }
  return undefined;
}

/** A label value: control characters escaped, then cut to maxViolationLabelLength characters (with … when cut). */
export function boundedLabel(text: string): string {
  const escaped = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return escaped.length > maxViolationLabelLength ? `${escaped.slice(0, maxViolationLabelLength - 1)}…` : escaped;
}
