// The ajv compile: every documented response's three validators and every parameter's, from the document outline and the
// schema transforms, keyed by operationId then status. The only source of shapes is the document; this compiles it at
// run time, and contract/standalone.ts turns the same ajv instance into code ahead of time.
import type Ajv2020 from 'ajv/dist/2020';
import type { ErrorObject } from 'ajv/dist/2020';
import type * as AjvFormats from 'ajv-formats';
import { UserError } from '../config/errors';
import { readOperations, type ContractOutline, type DocumentOperation, type OperationOutline, type ResponseOutline } from './document-outline';
import { defaultContractPath, readOpenApiDocument, type OpenApiDocument } from './openapi';
import {
  closeObjects,
  extensionKeywords,
  inheritInferred,
  inheritInferredComponents,
  rewriteRefs,
  withoutInferred,
  withoutInferredComponents,
} from './schema-transforms';

/** A compiled body validator, at run time or ahead of time (standalone code): true or false, and ajv's errors (verbose: with `parentSchema`). */
export interface BodyValidator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

/** One documented response of one operation, with its compiled validators. */
export interface ResponseContract extends ResponseOutline {
  /** Validates a body against the contract as written: every rule, documented and inferred. */
  validate: BodyValidator;
  /** The same schema without its x-inferred parts: what the vendor's page itself says. */
  validateDocumented: BodyValidator;
  /** The same schema with every object closed, to find undocumented properties (non-breaking drift). */
  validateClosed: BodyValidator;
}

export type OperationContract = OperationOutline<ResponseContract>;

/** The compiled contract: every operation and documented response, validators built once. */
export class Contract implements ContractOutline {
  constructor(
    readonly document: OpenApiDocument,
    readonly operations: ReadonlyMap<string, OperationContract>,
    /** Each path and query parameter's schema validator, by `operationId in name`: what the generated phase draws input with. */
    private readonly parameters: ReadonlyMap<string, BodyValidator> = new Map(),
  ) {}

  /** The validator of a parameter's schema; throws when the operation declares no such path or query parameter. */
  parameter(operationId: string, where: 'path' | 'query', name: string): BodyValidator {
    const found = this.parameters.get(parameterKey(operationId, where, name));
    if (!found) throw new Error(`${operationId} declares no ${where} parameter "${name}" with a schema`);
    return found;
  }

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
const schemaIdDocumented = 'urn:customer-management:documented';

/** The three validators of each documented response, by the name the standalone module exports them under. */
const validatorKinds = ['validate', 'validateDocumented', 'validateClosed'] as const;
type ValidatorKind = (typeof validatorKinds)[number];

function validatorKey(operationId: string, status: number, kind: ValidatorKind): string {
  return `${operationId} ${status} ${kind}`;
}

function parameterKey(operationId: string, where: 'path' | 'query', name: string): string {
  return `${operationId} ${where} ${name} parameter`;
}

/** ajv itself and its formats, loaded only to compile: a process using the standalone module needs only ajv's small runtime files. */
function ajvModules(): { Ajv: typeof Ajv2020; addFormats: typeof AjvFormats.default } {
  /* eslint-disable @typescript-eslint/no-require-imports -- deliberately lazy; import() is not usable under Playwright's loader */
  return {
    Ajv: (require('ajv/dist/2020') as { default: typeof Ajv2020 }).default,
    addFormats: (require('ajv-formats') as typeof AjvFormats).default,
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
}

/**
 * One ajv instance holding every schema of the document under its validator key (`getCustomer 200 validate`), not yet
 * compiled: compileContract compiles them to functions, the standalone generator to code (`source`: keep each
 * function's source for it). Both see the same schemas.
 */
export function contractAjv(document: OpenApiDocument, source: boolean): { ajv: Ajv2020; operations: Map<string, DocumentOperation> } {
  const { Ajv, addFormats } = ajvModules();
  // inlineRefs: false compiles each shared component once instead of inlining it into every response validator.
  // verbose: each error carries the schema node it failed in, whose x-inferred note is the finding's evidence.
  const ajv = new Ajv({
    allErrors: true,
    inlineRefs: false,
    strict: true,
    strictRequired: false,
    validateFormats: true,
    verbose: true,
    code: { source },
  });
  // Also tells standalone code where the format checks live (ajv-formats/dist/formats).
  addFormats(ajv);
  ajv.addVocabulary(['example', 'discriminator', 'xml', 'externalDocs', ...extensionKeywords(document)]);
  const components = inheritInferredComponents(document.components?.schemas ?? {});
  try {
    ajv.addSchema({ $id: schemaId, $defs: rewriteRefs(components, schemaId) });
    ajv.addSchema({ $id: schemaIdDocumented, $defs: rewriteRefs(withoutInferredComponents(components), schemaIdDocumented) });
    ajv.addSchema(closeObjects({ $id: schemaIdClosed, $defs: rewriteRefs(components, schemaIdClosed) }));
  } catch (error) {
    throw new UserError(`the OpenAPI document's component schemas do not compile: ${errorText(error)}`);
  }
  const operations = readOperations(document);
  for (const [operationId, operation] of operations) {
    for (const [status, { schema, where }] of operation.responses) {
      const inherited = inheritInferred(schema, undefined);
      const schemas: Record<ValidatorKind, unknown> = {
        validate: rewriteRefs(inherited, schemaId),
        validateDocumented: rewriteRefs(withoutInferred(inherited), schemaIdDocumented),
        validateClosed: closeObjects(rewriteRefs(inherited, schemaIdClosed)),
      };
      for (const kind of validatorKinds) {
        try {
          ajv.addSchema(schemas[kind] as object, validatorKey(operationId, status, kind));
        } catch (error) {
          throw new UserError(`the schema of ${where} does not compile: ${errorText(error)}`);
        }
      }
    }
    for (const parameter of operation.parameters) {
      try {
        ajv.addSchema(rewriteRefs(parameter.schema, schemaId), parameterKey(operationId, parameter.in, parameter.name));
      } catch (error) {
        throw new UserError(`the schema of ${parameter.where} does not compile: ${errorText(error)}`);
      }
    }
  }
  return { ajv, operations };
}

/** Every key of the contract's ajv instance: three validators per response, one per parameter. */
export function validatorKeys(operations: ReadonlyMap<string, DocumentOperation>): string[] {
  const keys: string[] = [];
  for (const [operationId, operation] of operations) {
    for (const status of operation.responses.keys()) for (const kind of validatorKinds) keys.push(validatorKey(operationId, status, kind));
    for (const parameter of operation.parameters) keys.push(parameterKey(operationId, parameter.in, parameter.name));
  }
  return keys;
}

/** The compiled contract from the document and a lookup of each response's validators. */
export function assembleContract(
  document: OpenApiDocument,
  operations: ReadonlyMap<string, DocumentOperation>,
  validator: (key: string, where: string) => BodyValidator,
): Contract {
  const compiled = new Map<string, OperationContract>();
  for (const [operationId, operation] of operations) {
    const responses = new Map<number, ResponseContract>();
    for (const [status, { outline, where }] of operation.responses) {
      responses.set(status, {
        ...outline,
        validate: validator(validatorKey(operationId, status, 'validate'), where),
        validateDocumented: validator(validatorKey(operationId, status, 'validateDocumented'), where),
        validateClosed: validator(validatorKey(operationId, status, 'validateClosed'), where),
      });
    }
    compiled.set(operationId, { operationId, method: operation.method, path: operation.path, responses });
  }
  const parameters = new Map<string, BodyValidator>();
  for (const [operationId, operation] of operations) {
    for (const parameter of operation.parameters) {
      const key = parameterKey(operationId, parameter.in, parameter.name);
      parameters.set(key, validator(key, parameter.where));
    }
  }
  return new Contract(document, compiled, parameters);
}

/** Loads the OpenAPI document, checks it, and compiles a validator for every documented JSON response (at run time, always). */
export function compileContract(file: string = defaultContractPath): Contract {
  const document = readOpenApiDocument(file);
  const { ajv, operations } = contractAjv(document, false);
  return assembleContract(document, operations, (key, where) => {
    try {
      const validate = ajv.getSchema(key);
      if (!validate) throw new Error(`no schema ${key}`);
      return validate;
    } catch (error) {
      throw new UserError(`the schema of ${where} does not compile: ${errorText(error)}`);
    }
  });
}

/** An error's message, or the thrown value as text. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
