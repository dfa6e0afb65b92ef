// The document outline: every operation and documented response of the OpenAPI document, with the ground for each and its
// JSON schema, read and checked without compiling anything. The compile (contract/compile.ts) and the reporter's view
// (outlineContract) are both built on it.
import type { OpenAPIV3_1 } from 'openapi-types';
import { UserError } from '../config/errors';
import { documented, inferred, simulatorOnly, type Evidence } from './evidence';
import { defaultContractPath, extensionNote, httpMethods, readOpenApiDocument, resolveRef, type HttpMethod, type OpenApiDocument } from './openapi';

/** One documented response of one operation: what it is and the ground for it, without validators. */
export interface ResponseOutline {
  status: number;
  description: string;
  /** Documented media types, e.g. `application/json`. */
  mediaTypes: string[];
  /** Marked `x-simulator-only`: cannot be provoked on demand against a real target. */
  simulatorOnly: boolean;
  /** The `x-inferred` note, when this response is not on the vendor's page. */
  inferred: string | undefined;
  /** Marked `x-unprovoked`: no test provokes it, so coverage does not require it. */
  unprovoked: boolean;
  /** The ground for expecting this status: documented, inferred (x-inferred) or simulator-only (x-simulator-only). */
  statusEvidence: Evidence;
  /** The ground for the body's shape as a whole (and for it being JSON): inferred when its schema is x-inferred (the error envelope). */
  bodyEvidence: Evidence;
  /** The ground for the media type: the media type's own x-inferred note. */
  mediaTypeEvidence: Evidence;
}

export interface OperationOutline<R extends ResponseOutline = ResponseOutline> {
  operationId: string;
  method: HttpMethod;
  /** The OpenAPI path template, e.g. `/{customer_id}/usage`. */
  path: string;
  responses: ReadonlyMap<number, R>;
}

/** The contract's operations and documented responses, without validators: what a report needs to lay out coverage. */
export interface ContractOutline {
  readonly document: OpenApiDocument;
  readonly operations: ReadonlyMap<string, OperationOutline>;
}

/** One operation as the document states it: its responses' outlines and schemas, and its parameters' schemas. */
export interface DocumentOperation {
  method: HttpMethod;
  path: string;
  /** Each documented response: its outline, its JSON schema as written, and how a message names it (`getCustomer 404 (#/components/responses/NotFound)`). */
  responses: Map<number, { outline: ResponseOutline; schema: Record<string, unknown>; where: string }>;
  /** Path-level and operation-level path and query parameters with a schema, `$ref`s resolved. */
  parameters: Array<{ name: string; in: 'path' | 'query'; schema: Record<string, unknown>; where: string }>;
}

/** Every operation and documented response of the document, with its evidence and JSON schema; refuses what cannot be checked. */
export function readOperations(document: OpenApiDocument): Map<string, DocumentOperation> {
  const operations = new Map<string, DocumentOperation>();
  for (const [pathTemplate, pathItem] of Object.entries(document.paths ?? {})) {
    if (!pathItem) continue;
    for (const method of httpMethods) {
      const operation = pathItem[method] as OpenAPIV3_1.OperationObject | undefined;
      if (!operation) continue;
      const operationId = operation.operationId;
      if (!operationId) throw new UserError(`${method.toUpperCase()} ${pathTemplate} has no operationId: every operation needs one`);
      const responses: DocumentOperation['responses'] = new Map();
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
        const inferredNote = extensionNote(extensions['x-inferred']);
        const simulatorOnlyNote = extensionNote(extensions['x-simulator-only']);
        const rootSchema = resolveRef<Record<string, unknown>>(document, json.schema as Record<string, unknown>);
        const bodyNote = extensionNote(rootSchema['x-inferred']);
        const mediaNote = extensionNote((json as unknown as Record<string, unknown>)['x-inferred']);
        const outline: ResponseOutline = {
          status,
          description: response.description,
          mediaTypes: Object.keys(content),
          simulatorOnly: simulatorOnlyNote !== undefined,
          inferred: inferredNote,
          unprovoked: extensionNote(extensions['x-unprovoked']) !== undefined,
          statusEvidence:
            simulatorOnlyNote !== undefined ? simulatorOnly(simulatorOnlyNote) : inferredNote !== undefined ? inferred(inferredNote) : documented(),
          bodyEvidence: inferredNote !== undefined ? inferred(inferredNote) : bodyNote !== undefined ? inferred(bodyNote) : documented(),
          mediaTypeEvidence: mediaNote !== undefined ? inferred(mediaNote) : documented(),
        };
        responses.set(status, { outline, schema: json.schema as Record<string, unknown>, where });
      }
      const parameters: DocumentOperation['parameters'] = [];
      for (const parameterOrRef of [...(pathItem.parameters ?? []), ...(operation.parameters ?? [])]) {
        const parameter = resolveRef<OpenAPIV3_1.ParameterObject>(document, parameterOrRef);
        if ((parameter.in !== 'path' && parameter.in !== 'query') || !parameter.schema) continue;
        const schema = resolveRef<Record<string, unknown>>(document, parameter.schema as Record<string, unknown>);
        parameters.push({ name: parameter.name, in: parameter.in, schema, where: `${operationId}'s ${parameter.in} parameter ${parameter.name}` });
      }
      operations.set(operationId, { method, path: pathTemplate, responses, parameters });
    }
  }
  return operations;
}

/** The document's operations and responses, checked, without compiling anything (the reporter's view). */
export function outlineContract(file: string = defaultContractPath): ContractOutline {
  const document = readOpenApiDocument(file);
  const operations = new Map<string, OperationOutline>();
  for (const [operationId, operation] of readOperations(document)) {
    operations.set(operationId, {
      operationId,
      method: operation.method,
      path: operation.path,
      responses: new Map([...operation.responses].map(([status, r]) => [status, r.outline])),
    });
  }
  return { document, operations };
}
