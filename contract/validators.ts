// Compiles ajv validators straight from the OpenAPI document, keyed by operationId then status: the only source of shapes.
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { OpenAPIV3_1 } from 'openapi-types';
import { UserError } from '../config/errors';
import { defaultContractPath, httpMethods, readOpenApiDocument, resolveRef, type HttpMethod, type OpenApiDocument } from './openapi';

/** One documented response of one operation, with its compiled validators. */
export interface ResponseContract {
  status: number;
  description: string;
  /** Documented media types, e.g. `application/json`. */
  mediaTypes: string[];
  /** Marked `x-simulator-only`: cannot be provoked on demand against a real target. */
  simulatorOnly: boolean;
  /** The `x-inferred` note, when this response is not on the vendor's page. */
  inferred: string | undefined;
  /** Validates a body against the contract as written. */
  validate: ValidateFunction;
  /** The same schema with every object closed, to find undocumented properties (non-breaking drift). */
  validateClosed: ValidateFunction;
}

export interface OperationContract {
  operationId: string;
  method: HttpMethod;
  /** The OpenAPI path template, e.g. `/{customer_id}/usage`. */
  path: string;
  responses: ReadonlyMap<number, ResponseContract>;
}

/** The compiled contract: every operation and documented response, validators built once. */
export class Contract {
  constructor(
    readonly document: OpenApiDocument,
    readonly operations: ReadonlyMap<string, OperationContract>,
  ) {}

  /** The operation with this operationId; throws when the contract has none. */
  operation(operationId: string): OperationContract {
    const found = this.operations.get(operationId);
    if (!found) {
      throw new Error(`the contract has no operation "${operationId}" (it has: ${[...this.operations.keys()].join(', ')})`);
    }
    return found;
  }

  /** The documented response; throws when the operation does not document this status. */
  response(operationId: string, status: number): ResponseContract {
    const found = this.operation(operationId).responses.get(status);
    if (!found) {
      const documented = [...this.operation(operationId).responses.keys()].join(', ');
      throw new Error(`${operationId} documents no ${status} response (documented: ${documented})`);
    }
    return found;
  }
}

const schemaIdClosed = 'urn:customer-management:closed';
const schemaId = 'urn:customer-management:as-written';

/** Loads the OpenAPI document, checks it, and compiles a validator for every documented JSON response. */
export function compileContract(file: string = defaultContractPath): Contract {
  const document = readOpenApiDocument(file);
  // inlineRefs: false compiles each shared component once instead of inlining it into every response validator.
  const ajv = new Ajv2020({ allErrors: true, inlineRefs: false, strict: true, strictRequired: false, validateFormats: true });
  addFormats(ajv);
  ajv.addVocabulary(['example', 'discriminator', 'xml', 'externalDocs', ...extensionKeywords(document)]);
  const components = (document.components?.schemas ?? {}) as Record<string, unknown>;
  try {
    ajv.addSchema({ $id: schemaId, $defs: rewriteRefs(components, schemaId) });
    ajv.addSchema(closeObjects({ $id: schemaIdClosed, $defs: rewriteRefs(components, schemaIdClosed) }));
  } catch (error) {
    throw new UserError(`the OpenAPI document's component schemas do not compile: ${errorText(error)}`);
  }

  const operations = new Map<string, OperationContract>();
  for (const [pathTemplate, pathItem] of Object.entries(document.paths ?? {})) {
    if (!pathItem) continue;
    for (const method of httpMethods) {
      const operation = pathItem[method] as OpenAPIV3_1.OperationObject | undefined;
      if (!operation) continue;
      const operationId = operation.operationId;
      if (!operationId) throw new UserError(`${method.toUpperCase()} ${pathTemplate} has no operationId: every operation needs one`);
      const responses = new Map<number, ResponseContract>();
      for (const [code, responseOrRef] of Object.entries(operation.responses ?? {})) {
        const status = Number(code);
        if (!Number.isInteger(status)) {
          throw new UserError(`${operationId} documents response "${code}": use explicit status codes so every response can be checked`);
        }
        const response = resolveRef<OpenAPIV3_1.ResponseObject>(document, responseOrRef);
        const refName = '$ref' in responseOrRef ? responseOrRef.$ref : undefined;
        const where = `${operationId} ${status}${refName ? ` (${refName})` : ''}`;
        const content = response.content ?? {};
        const json = content['application/json'];
        if (!json?.schema) throw new UserError(`${where} has no application/json schema: every response of this API is JSON`);
        const extensions = response as unknown as Record<string, unknown>;
        responses.set(status, {
          status,
          description: response.description,
          mediaTypes: Object.keys(content),
          simulatorOnly: Boolean(extensions['x-simulator-only']),
          inferred: typeof extensions['x-inferred'] === 'string' ? extensions['x-inferred'] : undefined,
          validate: compileOne(ajv, rewriteRefs(json.schema, schemaId), where),
          validateClosed: compileOne(ajv, closeObjects(rewriteRefs(json.schema, schemaIdClosed)), where),
        });
      }
      operations.set(operationId, { operationId, method, path: pathTemplate, responses });
    }
  }
  return new Contract(document, operations);
}

function compileOne(ajv: Ajv2020, schema: unknown, where: string): ValidateFunction {
  try {
    return ajv.compile(schema as object);
  } catch (error) {
    throw new UserError(`the schema of ${where} does not compile: ${errorText(error)}`);
  }
}

/** Points `#/components/schemas/X` references at the compiled component bundle `<id>#/$defs/X`. */
function rewriteRefs<T>(node: T, id: string): T {
  if (Array.isArray(node)) return node.map((item) => rewriteRefs(item, id)) as T;
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    out[key] = key === '$ref' && typeof value === 'string' && value.startsWith('#/components/schemas/')
      ? `${id}#/$defs/${value.slice('#/components/schemas/'.length)}`
      : rewriteRefs(value, id);
  }
  return out as T;
}

const subschemaMaps = ['properties', 'patternProperties', '$defs', 'dependentSchemas'];
const subschemaLists = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];
const subschemaSingles = ['items', 'not', 'if', 'then', 'else', 'contains', 'additionalProperties', 'propertyNames', 'unevaluatedItems'];

/**
 * Sets `additionalProperties: false` on every object schema that declares properties and says nothing about extras.
 * Used only to *find* undocumented properties; a combinator schema is left open, where closing would be wrong.
 */
function closeObjects<T>(schema: T): T {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return schema;
  const out: Record<string, unknown> = { ...(schema as Record<string, unknown>) };
  for (const key of subschemaMaps) {
    const map = out[key];
    if (typeof map === 'object' && map !== null) {
      out[key] = Object.fromEntries(Object.entries(map).map(([name, sub]) => [name, closeObjects(sub)]));
    }
  }
  for (const key of subschemaLists) {
    const list = out[key];
    if (Array.isArray(list)) out[key] = list.map((sub) => closeObjects(sub));
  }
  for (const key of subschemaSingles) {
    if (key in out) out[key] = closeObjects(out[key]);
  }
  const combinator = ['allOf', 'anyOf', 'oneOf', '$ref'].some((key) => key in out);
  const open = 'additionalProperties' in out || 'unevaluatedProperties' in out || 'patternProperties' in out;
  if ('properties' in out && !combinator && !open) out.additionalProperties = false;
  return out as T;
}

/** Every `x-` key used inside the document's schemas, so ajv's strict mode accepts them and still catches typos. */
function extensionKeywords(document: OpenApiDocument): string[] {
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

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
