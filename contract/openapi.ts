// Loads the OpenAPI document from disk and checks it is a usable OpenAPI 3.1 contract before anything compiles it.
import fs from 'node:fs';
import path from 'node:path';
import type * as Yaml from 'yaml';
import type { OpenAPIV3_1 } from 'openapi-types';
import { UserError } from '../config/errors';

export type OpenApiDocument = OpenAPIV3_1.Document;

/** The contract this suite is authored from. */
export const defaultContractPath = path.resolve(__dirname, '..', 'openapi', 'customer-management.yaml');

export const httpMethods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
export type HttpMethod = (typeof httpMethods)[number];

/** The YAML parser, loaded on the first parse: a process using the precompiled contract never parses YAML, so never loads it. */
function yaml(): typeof Yaml {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- deliberately lazy; import() is not usable under Playwright's loader
  return require('yaml') as typeof Yaml;
}

/** Reads and parses an OpenAPI 3.1 document; throws a UserError that says what to fix when it is not one. */
export function readOpenApiDocument(file: string = defaultContractPath): OpenApiDocument {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new UserError(`cannot read the OpenAPI document ${file}: check the path`);
  }
  let parsed: unknown;
  try {
    parsed = yaml().parse(text, { prettyErrors: true, uniqueKeys: true });
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new UserError(`${file} is not valid YAML or JSON: ${reason}`);
  }
  return assertOpenApi31(parsed, file);
}

function assertOpenApi31(value: unknown, file: string): OpenApiDocument {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UserError(`${file} is not an OpenAPI document: the top level must be a mapping`);
  }
  const doc = value as Record<string, unknown>;
  if (typeof doc.openapi !== 'string' || !/^3\.1\.\d+$/.test(doc.openapi)) {
    throw new UserError(`${file} must declare "openapi: 3.1.x" (found ${JSON.stringify(doc.openapi)}): the validators use JSON Schema 2020-12`);
  }
  if (typeof doc.paths !== 'object' || doc.paths === null) {
    throw new UserError(`${file} has no "paths": there is nothing to test`);
  }
  return value as OpenApiDocument;
}

/** The text of an `x-` extension (`x-inferred`, `x-simulator-only`, …) when it is one, whitespace folded; undefined otherwise. */
export function extensionNote(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() ? value.trim().replace(/\s+/g, ' ') : undefined;
}

/** Resolves a local `$ref` (`#/components/...`) inside the document. */
export function resolveRef<T>(doc: OpenApiDocument, value: T | OpenAPIV3_1.ReferenceObject): T {
  let current: unknown = value;
  const seen = new Set<string>();
  while (typeof current === 'object' && current !== null && '$ref' in current) {
    const ref = (current as OpenAPIV3_1.ReferenceObject).$ref;
    if (!ref.startsWith('#/') || seen.has(ref)) {
      throw new UserError(`unresolvable $ref "${ref}" in the OpenAPI document: only local, non-circular references are supported`);
    }
    seen.add(ref);
    current = ref
      .slice(2)
      .split('/')
      .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<unknown>((node, key) => (typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined), doc);
    if (current === undefined) throw new UserError(`$ref "${ref}" points at nothing in the OpenAPI document`);
  }
  return current as T;
}

/** A named example of one operation's JSON response, as the document holds it; throws when there is none. */
export function responseExample(doc: OpenApiDocument, operationId: string, status: number, name = 'documented'): unknown {
  for (const item of Object.values(doc.paths ?? {})) {
    for (const method of httpMethods) {
      const operation = item?.[method] as OpenAPIV3_1.OperationObject | undefined;
      if (operation?.operationId !== operationId) continue;
      const responseOrRef = operation.responses?.[String(status)];
      const response = responseOrRef ? resolveRef<OpenAPIV3_1.ResponseObject>(doc, responseOrRef) : undefined;
      const example = response?.content?.['application/json']?.examples?.[name];
      if (!example) throw new UserError(`the OpenAPI document has no "${name}" example for ${operationId} ${status}`);
      return resolveRef<OpenAPIV3_1.ExampleObject>(doc, example).value;
    }
  }
  throw new UserError(`the OpenAPI document has no operation "${operationId}"`);
}
