// Compares what the vendor's page states with the documented (not x-inferred) parts of the OpenAPI document.
import { resolveRef, type OpenApiDocument } from '../../contract';
import type { PageExample, PageFacts, PageLocation, PageOperation } from './extract';

export type DifferenceKind =
  | 'base-url-changed'
  | 'operation-added'
  | 'operation-removed'
  | 'auth-scheme-changed'
  | 'auth-not-on-page'
  | 'request-header-added'
  | 'query-parameter-added'
  | 'query-parameter-removed'
  | 'query-parameter-required-changed'
  | 'query-parameter-retyped'
  | 'query-parameter-description-changed'
  | 'example-property-added'
  | 'example-property-removed'
  | 'example-property-retyped'
  | 'example-unparsable'
  | 'example-request-differs'
  | 'status-added'
  | 'status-removed'
  | 'status-now-documented';

/** One way the page and the document differ. The page is read as the vendor's current word: "added" means on the page, not in the document. */
export interface Difference {
  kind: DifferenceKind;
  /** Would clients written against the document break if the API did what the page now says? As spec:diff classifies. */
  severity: 'breaking' | 'non-breaking';
  /** The document's operationId, or `METHOD /path` for an operation only the page has; null for page-wide facts. */
  operation: string | null;
  message: string;
  /** Where on the page; null when the page does not have it at all. */
  page: PageLocation | null;
  /** JSON pointer into the document where it is (or would go); `also` names the other places of the same difference. */
  document: { pointer: string; also?: string[] };
}

type Json = Record<string, unknown>;

interface DocOperation {
  id: string;
  method: string;
  path: string;
  pointer: string;
  operation: Json;
  pathItem: Json;
}

const httpMethods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

export function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** `/{customer_id}/usage` and `/{id}/usage` are the same operation path. */
function pathKey(path: string): string {
  return path.replace(/\{[^}]*\}/g, '{}').replace(/\/+$/, '') || '/';
}

function documentOperations(document: OpenApiDocument): DocOperation[] {
  const operations: DocOperation[] = [];
  for (const [path, item] of Object.entries((document.paths ?? {}) as Record<string, Json>)) {
    for (const method of httpMethods) {
      const operation = item[method] as Json | undefined;
      if (!operation || operation['x-inferred'] !== undefined) continue;
      const pointer = `/paths/${escapePointer(path)}/${method}`;
      operations.push({
        id: typeof operation.operationId === 'string' ? operation.operationId : `${method.toUpperCase()} ${path}`,
        method,
        path,
        pointer,
        operation,
        pathItem: item,
      });
    }
  }
  return operations;
}

/** Follows `$ref`s from a node, returning the node and the pointer it was found at. */
function deref(document: OpenApiDocument, node: unknown, pointer: string): { node: Json; pointer: string } {
  const current = (typeof node === 'object' && node !== null ? node : {}) as Json;
  const ref = current.$ref;
  if (typeof ref !== 'string') return { node: current, pointer };
  // resolveRef follows the whole chain; the pointer is the first reference's (this document has no chains of them).
  return { node: resolveRef<Json>(document, { $ref: ref }), pointer: ref.replace(/^#/, '') };
}

/** The document's base URL: the first server, its variables at their defaults. */
function documentBaseUrl(document: OpenApiDocument): string | undefined {
  const server = document.servers?.[0];
  if (!server) return undefined;
  return server.url.replace(/\{([^}]+)\}/g, (whole, name: string) => server.variables?.[name]?.default ?? whole);
}

function normaliseUrl(url: string): string {
  return url.trim().replace(/\/+$/, '').toLowerCase();
}

/** The auth the document requires of an operation, as the page would write it: `Bearer`, `Basic`, or `header X-Api-Key`. */
function documentAuth(document: OpenApiDocument, operation: Json): { scheme: string; pointer: string } | undefined {
  const requirements = (operation.security ?? document.security ?? []) as Record<string, unknown>[];
  const name = Object.keys(requirements[0] ?? {})[0];
  if (!name) return undefined;
  const scheme = (document.components?.securitySchemes as Record<string, Json> | undefined)?.[name];
  const pointer = `/components/securitySchemes/${escapePointer(name)}`;
  if (!scheme) return undefined;
  if (scheme.type === 'http' && typeof scheme.scheme === 'string') return { scheme: capitalise(scheme.scheme), pointer };
  if (scheme.type === 'apiKey' && scheme.in === 'header' && typeof scheme.name === 'string') return { scheme: `header ${scheme.name}`, pointer };
  return { scheme: String(scheme.type), pointer };
}

function capitalise(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1).toLowerCase();
}

/** The scheme an Authorization value shows: `Bearer <token>` → Bearer; a bare `<token>` → `none` (the raw token). */
function pageScheme(value: string): string {
  const word = /^([A-Za-z][\w-]*)\s+\S/.exec(value.trim());
  return word ? capitalise(word[1]!) : 'none';
}

interface DocParameter {
  name: string;
  required: boolean;
  type: string;
  description: string;
  pointer: string;
}

function documentQuery(document: OpenApiDocument, operation: DocOperation): DocParameter[] {
  const found: DocParameter[] = [];
  const lists: [unknown, string][] = [
    [operation.pathItem.parameters, `/paths/${escapePointer(operation.path)}/parameters`],
    [operation.operation.parameters, `${operation.pointer}/parameters`],
  ];
  for (const [list, base] of lists) {
    if (!Array.isArray(list)) continue;
    list.forEach((raw, index) => {
      const { node, pointer } = deref(document, raw, `${base}/${index}`);
      if (node.in !== 'query' || node['x-inferred'] !== undefined) return;
      const schema = deref(document, node.schema, `${pointer}/schema`).node;
      found.push({
        name: String(node.name),
        required: node.required === true,
        type: documentedTypes(document, schema).filter((t) => t !== 'null')[0] ?? 'any',
        description: typeof node.description === 'string' ? node.description : '',
        pointer,
      });
    });
  }
  return found;
}

/** The JSON types a schema's documented part allows (x-inferred `allOf` entries left out). */
function documentedTypes(document: OpenApiDocument, schema: Json): string[] {
  const types = new Set<string>();
  const add = (type: unknown) => {
    if (typeof type === 'string') types.add(type === 'integer' ? 'number' : type);
    else if (Array.isArray(type)) type.forEach(add);
  };
  add(schema.type);
  if ('const' in schema) add(jsonType(schema.const));
  if (Array.isArray(schema.enum)) schema.enum.forEach((value) => add(jsonType(value)));
  for (const key of ['oneOf', 'anyOf'] as const) {
    if (Array.isArray(schema[key]) && types.size === 0) {
      for (const entry of schema[key] as unknown[]) documentedTypes(document, deref(document, entry, '').node).forEach((t) => types.add(t));
    }
  }
  return [...types];
}

export function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value === 'object' ? 'object' : typeof value === 'bigint' ? 'number' : typeof value;
}

/** The page's type word as a JSON type: `String` → string, `Integer` → number, `Date` → string. */
function pageType(word: string): string {
  const w = word.toLowerCase();
  if (['integer', 'int', 'float', 'double', 'number'].includes(w)) return 'number';
  if (['date', 'datetime', 'string'].includes(w)) return 'string';
  return w;
}

function normaliseText(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .replace(/[.\s]+$/, '')
    .trim()
    .toLowerCase();
}

/** Whether a response is documented (on the page), as opposed to x-inferred (the project's own). */
function documentedResponses(document: OpenApiDocument, operation: DocOperation): Map<number, { pointer: string; inferred: boolean }> {
  const responses = new Map<number, { pointer: string; inferred: boolean }>();
  for (const [status, raw] of Object.entries((operation.operation.responses ?? {}) as Json)) {
    if (!/^\d{3}$/.test(status)) continue;
    const { node } = deref(document, raw, '');
    responses.set(Number(status), { pointer: `${operation.pointer}/responses/${status}`, inferred: node['x-inferred'] !== undefined });
  }
  return responses;
}

/** Every difference between the page's facts and the document. */
export function compareWithDocument(facts: PageFacts, document: OpenApiDocument): Difference[] {
  const differences: Difference[] = [];
  const docOperations = documentOperations(document);

  const docBase = documentBaseUrl(document);
  if (facts.baseUrl && docBase && normaliseUrl(facts.baseUrl.url) !== normaliseUrl(docBase)) {
    differences.push({
      kind: 'base-url-changed',
      severity: 'breaking',
      operation: null,
      message: `the page's base URL is ${facts.baseUrl.url}; the document's is ${docBase} (servers[0] with its variables' defaults)`,
      page: facts.baseUrl.at,
      document: { pointer: '/servers/0/url' },
    });
  }

  const matched = new Map<DocOperation, PageOperation>();
  for (const pageOperation of facts.operations) {
    const docOperation = docOperations.find((o) => o.method === pageOperation.method.toLowerCase() && pathKey(o.path) === pathKey(pageOperation.path));
    if (!docOperation || matched.has(docOperation)) {
      const pathItem = Object.keys(document.paths ?? {}).find((p) => pathKey(p) === pathKey(pageOperation.path));
      differences.push({
        kind: 'operation-added',
        severity: 'non-breaking',
        operation: `${pageOperation.method} ${pageOperation.path}`,
        message: `the page documents ${pageOperation.method} ${pageOperation.path} ("${pageOperation.title}"); the document has no such operation`,
        page: pageOperation.at,
        document: {
          pointer: pathItem ? `/paths/${escapePointer(pathItem)}/${pageOperation.method.toLowerCase()}` : `/paths/${escapePointer(pageOperation.path)}`,
        },
      });
      continue;
    }
    matched.set(docOperation, pageOperation);
    compareOperation(document, docOperation, pageOperation, facts, differences);
  }
  for (const docOperation of docOperations) {
    if (matched.has(docOperation)) continue;
    differences.push({
      kind: 'operation-removed',
      severity: 'breaking',
      operation: docOperation.id,
      message: `the document's ${docOperation.method.toUpperCase()} ${docOperation.path} (${docOperation.id}) is not on the page`,
      page: null,
      document: { pointer: docOperation.pointer },
    });
  }

  compareStatuses(document, matched, facts, differences);
  return differences;
}

function compareOperation(document: OpenApiDocument, op: DocOperation, page: PageOperation, facts: PageFacts, out: Difference[]): void {
  const name = op.id;
  // Auth: the Authorization row of the headers table, else the example request's header.
  const auth = documentAuth(document, op.operation);
  const authorization =
    page.headers.find((h) => h.name.toLowerCase() === 'authorization') ??
    page.requests.flatMap((r) => r.headers.filter((h) => h.name.toLowerCase() === 'authorization').map((h) => ({ ...h, at: r.at })))[0];
  if (auth && !auth.scheme.startsWith('header ')) {
    if (!authorization) {
      out.push({
        kind: 'auth-not-on-page',
        severity: 'non-breaking',
        operation: name,
        message: `the page shows no Authorization header for ${name}; the document requires ${auth.scheme}`,
        page: page.at,
        document: { pointer: auth.pointer },
      });
    } else if (pageScheme(authorization.value) !== auth.scheme) {
      const shown = pageScheme(authorization.value);
      out.push({
        kind: 'auth-scheme-changed',
        severity: 'breaking',
        operation: name,
        message: `the page sends Authorization as ${shown === 'none' ? 'the raw token (no scheme)' : `${shown} …`}; the document's scheme is ${auth.scheme}`,
        page: authorization.at,
        document: { pointer: `${auth.pointer}/scheme` },
      });
    }
  }
  const docHeaders = new Set(
    ((op.operation.parameters ?? []) as unknown[])
      .map((p) => deref(document, p, '').node)
      .filter((p) => p.in === 'header')
      .map((p) => String(p.name).toLowerCase()),
  );
  for (const header of page.headers) {
    const lower = header.name.toLowerCase();
    if (lower === 'authorization' || docHeaders.has(lower)) continue;
    if (auth?.scheme === `header ${header.name}`) continue;
    out.push({
      kind: 'request-header-added',
      severity: 'breaking',
      operation: name,
      message: `the page asks for request header ${header.name}; the document does not have it`,
      page: header.at,
      document: { pointer: `${op.pointer}/parameters` },
    });
  }

  // Query parameters.
  const docQuery = documentQuery(document, op);
  for (const parameter of page.query) {
    const documented = docQuery.find((d) => d.name === parameter.name);
    if (!documented) {
      out.push({
        kind: 'query-parameter-added',
        severity: parameter.required ? 'breaking' : 'non-breaking',
        operation: name,
        message: `the page lists ${parameter.required ? 'a required' : 'an optional'} query parameter ${parameter.name} (${parameter.type}); the document does not have it`,
        page: parameter.at,
        document: { pointer: `${op.pointer}/parameters` },
      });
      continue;
    }
    if (parameter.required !== documented.required) {
      out.push({
        kind: 'query-parameter-required-changed',
        severity: parameter.required ? 'breaking' : 'non-breaking',
        operation: name,
        message: `query parameter ${parameter.name} is ${parameter.required ? 'required' : 'optional'} on the page; ${documented.required ? 'required' : 'optional'} in the document`,
        page: parameter.at,
        document: { pointer: `${documented.pointer}/required` },
      });
    }
    if (parameter.type !== '' && pageType(parameter.type) !== documented.type) {
      out.push({
        kind: 'query-parameter-retyped',
        severity: 'breaking',
        operation: name,
        message: `query parameter ${parameter.name} is ${parameter.type} on the page; ${documented.type} in the document`,
        page: parameter.at,
        document: { pointer: `${documented.pointer}/schema` },
      });
    }
    if (parameter.description !== '' && normaliseText(parameter.description) !== normaliseText(documented.description)) {
      out.push({
        kind: 'query-parameter-description-changed',
        severity: 'non-breaking',
        operation: name,
        message: `query parameter ${parameter.name} is described differently on the page`,
        page: parameter.at,
        document: { pointer: `${documented.pointer}/description` },
      });
    }
  }
  const pageHasQueryTable = page.query.length > 0;
  for (const documented of docQuery) {
    if (page.query.some((p) => p.name === documented.name)) continue;
    // A page with no query table for the operation, yet an example request using the parameter, still documents it.
    if (!pageHasQueryTable && page.requests.some((r) => queryNames(r.url).includes(documented.name))) continue;
    out.push({
      kind: 'query-parameter-removed',
      severity: 'breaking',
      operation: name,
      message: `the document's query parameter ${documented.name} is not on the page`,
      page: page.at,
      document: { pointer: documented.pointer },
    });
  }

  // Example requests: method, base URL, path and query names as the page's own table and the document state them.
  const base = facts.baseUrl?.url ?? documentBaseUrl(document) ?? '';
  for (const request of page.requests) {
    const problems: string[] = [];
    if (request.method !== op.method.toUpperCase()) problems.push(`it sends ${request.method}, not ${op.method.toUpperCase()}`);
    const url = request.url;
    if (!normaliseUrl(url).startsWith(normaliseUrl(base))) problems.push(`its URL does not start with the base URL ${base}`);
    else {
      const rest = url.slice(base.replace(/\/+$/, '').length).split('?')[0] ?? '';
      if (pathKey(rest) !== pathKey(op.path)) problems.push(`its path ${rest} is not ${op.path}`);
    }
    for (const query of queryNames(url)) {
      if (!docQuery.some((d) => d.name === query)) problems.push(`it sends query parameter ${query}, which the document does not have`);
    }
    if (problems.length > 0) {
      out.push({
        kind: 'example-request-differs',
        severity: 'non-breaking',
        operation: name,
        message: `the page's example request for ${name} differs: ${problems.join('; ')}`,
        page: request.at,
        document: { pointer: op.pointer },
      });
    }
  }

  // Example bodies against the documented schema of the response they are for.
  for (const example of page.examples) compareExample(document, op, example, out);
}

function queryNames(url: string): string[] {
  const query = url.split('?')[1]?.split('#')[0] ?? '';
  return query === '' ? [] : [...new Set(query.split('&').map((pair) => decodeURIComponent(pair.split('=')[0] ?? '')))];
}

function compareExample(document: OpenApiDocument, op: DocOperation, example: PageExample, out: Difference[]): void {
  const response = deref(document, (op.operation.responses as Json | undefined)?.[String(example.status)], `${op.pointer}/responses/${example.status}`);
  const media = (response.node.content as Json | undefined)?.['application/json'] as Json | undefined;
  if (example.error !== undefined) {
    out.push({
      kind: 'example-unparsable',
      severity: 'non-breaking',
      operation: op.id,
      message: `the page's example response for ${op.id} is not JSON (${example.error}): not compared`,
      page: example.at,
      document: { pointer: `${response.pointer}/content` },
    });
    return;
  }
  if (!media?.schema) return;
  const at = (pointer: string): PageLocation => ({
    ...example.at,
    line: example.lines.get(pointer) ?? example.at.line,
    text: pointer === '' ? example.at.text : pointer,
  });
  walk(document, example.value, media.schema, `${response.pointer}/content/application~1json/schema`, '', op.id, at, out);
}

/** Walks the page's example and the documented schema side by side. */
function walk(
  document: OpenApiDocument,
  value: unknown,
  rawSchema: unknown,
  schemaPointer: string,
  valuePointer: string,
  operation: string,
  at: (pointer: string) => PageLocation,
  out: Difference[],
): void {
  const { node: schema, pointer } = deref(document, rawSchema, schemaPointer);
  if (schema['x-inferred'] !== undefined) return;
  const types = documentedTypes(document, schema);
  const observed = jsonType(value);
  const where = valuePointer || '(body)';
  if (types.length > 0 && !types.includes(observed)) {
    out.push({
      kind: 'example-property-retyped',
      severity: 'breaking',
      operation,
      message: `${where} is ${observed} in the page's example (${JSON.stringify(value)}); the document says ${types.join(' or ')}`,
      page: at(valuePointer),
      // The property's own place (its $ref, when it has one, is shared with other properties).
      document: { pointer: schemaPointer },
    });
    return;
  }
  if (observed === 'object' && (types.length === 0 || types.includes('object'))) {
    const properties = (schema.properties ?? {}) as Json;
    const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
    const object = value as Record<string, unknown>;
    for (const [key, child] of Object.entries(object)) {
      const childPointer = `${valuePointer}/${escapePointer(key)}`;
      if (!(key in properties)) {
        out.push({
          kind: 'example-property-added',
          severity: 'non-breaking',
          operation,
          message: `${childPointer} (${jsonType(child)}) is in the page's example; the document does not have it`,
          page: at(childPointer),
          document: { pointer: `${pointer}/properties` },
        });
        continue;
      }
      walk(document, child, properties[key], `${pointer}/properties/${escapePointer(key)}`, childPointer, operation, at, out);
    }
    for (const key of Object.keys(properties)) {
      if (key in object) continue;
      const propertyPointer = `${pointer}/properties/${escapePointer(key)}`;
      if (deref(document, properties[key], propertyPointer).node['x-inferred'] !== undefined) continue;
      out.push({
        kind: 'example-property-removed',
        severity: required.has(key) ? 'breaking' : 'non-breaking',
        operation,
        message: `${valuePointer}/${escapePointer(key)} is ${required.has(key) ? 'required' : 'documented'} in the document; the page's example does not have it`,
        page: at(valuePointer),
        document: { pointer: propertyPointer },
      });
    }
  } else if (observed === 'array' && Array.isArray(value) && value.length > 0 && schema.items) {
    walk(document, value[0], schema.items, `${pointer}/items`, `${valuePointer}/0`, operation, at, out);
  }
}

/** The status table (the operation's own, else the page's) against each operation's documented responses; one entry per status. */
function compareStatuses(document: OpenApiDocument, matched: Map<DocOperation, PageOperation>, facts: PageFacts, out: Difference[]): void {
  const added = new Map<number, { at: PageLocation; ops: string[]; pointers: string[]; inferred: boolean }>();
  const removed = new Map<number, { at: PageLocation | null; ops: string[]; pointers: string[] }>();
  for (const [op, page] of matched) {
    const table = page.statuses.length > 0 ? page.statuses : facts.statuses;
    if (table.length === 0) continue;
    const responses = documentedResponses(document, op);
    for (const status of table) {
      const response = responses.get(status.code);
      if (response && !response.inferred) continue;
      const entry = added.get(status.code) ?? { at: status.at, ops: [], pointers: [], inferred: response?.inferred === true };
      entry.ops.push(op.id);
      entry.pointers.push(response?.pointer ?? `${op.pointer}/responses`);
      added.set(status.code, entry);
    }
    for (const [code, response] of responses) {
      if (response.inferred || table.some((s) => s.code === code)) continue;
      const entry = removed.get(code) ?? { at: facts.statusTableAt ?? page.at, ops: [], pointers: [] };
      entry.ops.push(op.id);
      entry.pointers.push(response.pointer);
      removed.set(code, entry);
    }
  }
  for (const [code, entry] of added) {
    out.push({
      kind: entry.inferred ? 'status-now-documented' : 'status-added',
      severity: 'non-breaking',
      operation: entry.ops.length === 1 ? entry.ops[0]! : null,
      message: entry.inferred
        ? `the page's status table lists ${code}, which the document holds as x-inferred for ${entry.ops.join(', ')}: it is documented now`
        : `the page's status table lists ${code}; the document does not document it for ${entry.ops.join(', ')}`,
      page: entry.at,
      document: { pointer: entry.pointers[0]!, ...(entry.pointers.length > 1 ? { also: entry.pointers.slice(1) } : {}) },
    });
  }
  for (const [code, entry] of removed) {
    out.push({
      kind: 'status-removed',
      severity: 'breaking',
      operation: entry.ops.length === 1 ? entry.ops[0]! : null,
      message: `the document documents ${code} for ${entry.ops.join(', ')}; the page's status table does not list it`,
      page: entry.at,
      document: { pointer: entry.pointers[0]!, ...(entry.pointers.length > 1 ? { also: entry.pointers.slice(1) } : {}) },
    });
  }
}
