// Compiles ajv validators straight from the OpenAPI document, keyed by operationId then status: the only source of shapes.
//
// The same validators are also generated ahead of time as standalone code (`npm run contract:validators` writes
// contract/validators.generated.js): loadContract() uses them when their fingerprint (the document's bytes, this file and
// the ajv versions) matches, and compiles at run time otherwise, so a stale file costs time, never a check.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type Ajv2020 from 'ajv/dist/2020';
import type { ErrorObject } from 'ajv/dist/2020';
import type * as AjvStandalone from 'ajv/dist/standalone';
import type * as AjvFormats from 'ajv-formats';
import type { OpenAPIV3_1 } from 'openapi-types';
import { UserError } from '../config/errors';
import { documented, inferred, simulatorOnly, type Evidence } from './evidence';
import { defaultContractPath, httpMethods, readOpenApiDocument, resolveRef, type HttpMethod, type OpenApiDocument } from './openapi';
import * as generated from './validators.generated';

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

export interface OperationOutline<R extends ResponseOutline = ResponseOutline> {
  operationId: string;
  method: HttpMethod;
  /** The OpenAPI path template, e.g. `/{customer_id}/usage`. */
  path: string;
  responses: ReadonlyMap<number, R>;
}

export type OperationContract = OperationOutline<ResponseContract>;

/** The contract's operations and documented responses, without validators: what a report needs to lay out coverage. */
export interface ContractOutline {
  readonly document: OpenApiDocument;
  readonly operations: ReadonlyMap<string, OperationOutline>;
}

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

/**
 * ajv itself, loaded only to compile: ~80 ms per process (ajv, ajv-formats) that a process using the standalone module
 * (contract/validators.generated.js, which needs only ajv's small runtime files) never spends.
 */
function ajvModules(): { Ajv: typeof Ajv2020; addFormats: typeof AjvFormats.default; standaloneCode: typeof AjvStandalone.default } {
  /* eslint-disable @typescript-eslint/no-require-imports -- deliberately lazy; import() is not usable under Playwright's loader */
  return {
    Ajv: (require('ajv/dist/2020') as { default: typeof Ajv2020 }).default,
    addFormats: (require('ajv-formats') as typeof AjvFormats).default,
    standaloneCode: (require('ajv/dist/standalone') as typeof AjvStandalone).default,
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
}

/**
 * One ajv instance holding every schema of the document under its validator key (`getCustomer 200 validate`), not yet
 * compiled: compileContract compiles them to functions, the standalone generator to code. Both see the same schemas.
 */
function contractAjv(document: OpenApiDocument, source: boolean): { ajv: Ajv2020; operations: Map<string, ReadOperation> } {
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
function validatorKeys(operations: ReadonlyMap<string, ReadOperation>): string[] {
  const keys: string[] = [];
  for (const [operationId, operation] of operations) {
    for (const status of operation.responses.keys()) for (const kind of validatorKinds) keys.push(validatorKey(operationId, status, kind));
    for (const parameter of operation.parameters) keys.push(parameterKey(operationId, parameter.in, parameter.name));
  }
  return keys;
}

/** The compiled contract from the document and a lookup of each response's validators. */
function assembleContract(
  document: OpenApiDocument,
  operations: ReadonlyMap<string, ReadOperation>,
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

/** What the standalone module is built from; when any of it changes, the module is stale and is not used. */
function fingerprint(documentBytes: Buffer): string {
  const hash = crypto.createHash('sha256');
  hash.update(documentBytes).update('\0').update(fs.readFileSync(__filename)).update('\0');
  for (const pkg of ['ajv', 'ajv-formats']) hash.update(`${pkg}@${packageVersion(pkg)}\0`);
  return hash.digest('hex');
}

function packageVersion(pkg: string): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(path.dirname(require.resolve(`${pkg}/package.json`)), 'package.json'), 'utf8')) as {
    version?: unknown;
  };
  return String(manifest.version);
}

/** What contract/validators.generated.js exports. */
export type StandaloneModule = Pick<typeof generated, 'fingerprint' | 'document' | 'validators'>;

/**
 * The contract from the standalone module (contract/validators.generated.js) when it was generated from exactly this
 * document, this file and these ajv versions; undefined when it is stale (or the document is another file), and the
 * caller compiles at run time. Loading it costs a file hash instead of a YAML parse and an ajv compile.
 */
export function precompiledContract(file: string = defaultContractPath, standalone: StandaloneModule = generated): Contract | undefined {
  if (path.resolve(file) !== defaultContractPath) return undefined;
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch {
    return undefined; // compileContract says what is wrong
  }
  if (standalone.fingerprint !== fingerprint(bytes)) return undefined;
  const document = standalone.document as OpenApiDocument;
  return assembleContract(document, readOperations(document), (key) => {
    const validate = standalone.validators[key];
    if (!validate) throw new Error(`contract/validators.generated.js has no validator "${key}": run \`npm run contract:validators\``);
    return validate;
  });
}

/** The precompiled contract when current, else one compiled now: what loadContract keeps for the process. */
export function currentContract(): Contract {
  return precompiledContract() ?? compileContract();
}

/** The standalone module's two files, contract/validators.generated.js and its .d.ts, for this document. */
export function standaloneValidators(file: string = defaultContractPath): { js: string; dts: string } {
  const bytes = fs.readFileSync(file);
  const document = readOpenApiDocument(file);
  // The module carries the parsed document as JSON: it must survive the trip unchanged (no YAML-only values).
  const json = JSON.stringify(document);
  if (!isDeepStrictEqual(JSON.parse(json), document)) {
    throw new UserError(`${file} holds values JSON cannot carry (e.g. .inf or a YAML tag): the standalone validators cannot be generated`);
  }
  const { ajv, operations } = contractAjv(document, true);
  const keys = Object.fromEntries(validatorKeys(operations).map((key) => [key, key]));
  let code: string;
  try {
    code = ajvModules().standaloneCode(ajv, keys);
  } catch (error) {
    throw new UserError(`the standalone validators cannot be generated: ${errorText(error)}`);
  }
  const relative = path.relative(path.resolve(__dirname, '..'), file);
  const js = [
    `// Generated by \`npm run contract:validators\` from ${relative} (contract/validators.ts): do not edit.`,
    '// loadContract() uses it only while its fingerprint matches the document, contract/validators.ts and the ajv versions.',
    '"use strict";',
    `exports.fingerprint = ${JSON.stringify(fingerprint(bytes))};`,
    `exports.document = JSON.parse(${JSON.stringify(json)});`,
    `exports.validators = (function () {`,
    'const exports = {};',
    code.replace(/^"use strict";/, ''),
    'return exports;',
    '})();',
    '',
  ].join('\n');
  return { js, dts: standaloneDeclarations };
}

const standaloneDeclarations = `// Generated by \`npm run contract:validators\` (contract/validators.ts): the types of contract/validators.generated.js.
import type { ErrorObject } from 'ajv';

/** What the module was generated from (the document's bytes, contract/validators.ts, the ajv versions), hashed. */
export declare const fingerprint: string;
/** The parsed OpenAPI document. */
export declare const document: unknown;
/** Every response's validators by \`operationId status kind\`, e.g. \`getCustomer 200 validateClosed\`, and every parameter's by \`operationId in name parameter\`. */
export declare const validators: Readonly<Record<string, ((data: unknown) => boolean) & { errors?: ErrorObject[] | null }>>;
`;

/** The standalone module's files, beside this one. */
export const standaloneFiles = {
  js: path.join(__dirname, 'validators.generated.js'),
  dts: path.join(__dirname, 'validators.generated.d.ts'),
};

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

interface ReadOperation {
  method: HttpMethod;
  path: string;
  responses: Map<number, { outline: ResponseOutline; schema: Record<string, unknown>; where: string }>;
  /** Path-level and operation-level path and query parameters with a schema, `$ref`s resolved. */
  parameters: Array<{ name: string; in: 'path' | 'query'; schema: Record<string, unknown>; where: string }>;
}

/** Every operation and documented response of the document, with its evidence and JSON schema; refuses what cannot be checked. */
function readOperations(document: OpenApiDocument): Map<string, ReadOperation> {
  const operations = new Map<string, ReadOperation>();
  for (const [pathTemplate, pathItem] of Object.entries(document.paths ?? {})) {
    if (!pathItem) continue;
    for (const method of httpMethods) {
      const operation = pathItem[method] as OpenAPIV3_1.OperationObject | undefined;
      if (!operation) continue;
      const operationId = operation.operationId;
      if (!operationId) throw new UserError(`${method.toUpperCase()} ${pathTemplate} has no operationId: every operation needs one`);
      const responses: ReadOperation['responses'] = new Map();
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
        const inferredNote = note(extensions['x-inferred']);
        const simulatorOnlyNote = note(extensions['x-simulator-only']);
        const rootSchema = resolveRef<Record<string, unknown>>(document, json.schema as Record<string, unknown>);
        const bodyNote = note(rootSchema['x-inferred']);
        const mediaNote = note((json as unknown as Record<string, unknown>)['x-inferred']);
        const outline: ResponseOutline = {
          status,
          description: response.description,
          mediaTypes: Object.keys(content),
          simulatorOnly: simulatorOnlyNote !== undefined,
          inferred: inferredNote,
          unprovoked: note(extensions['x-unprovoked']) !== undefined,
          statusEvidence:
            simulatorOnlyNote !== undefined ? simulatorOnly(simulatorOnlyNote) : inferredNote !== undefined ? inferred(inferredNote) : documented(),
          bodyEvidence: inferredNote !== undefined ? inferred(inferredNote) : bodyNote !== undefined ? inferred(bodyNote) : documented(),
          mediaTypeEvidence: mediaNote !== undefined ? inferred(mediaNote) : documented(),
        };
        responses.set(status, { outline, schema: json.schema as Record<string, unknown>, where });
      }
      const parameters: ReadOperation['parameters'] = [];
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

/** Points `#/components/schemas/X` references at the compiled component bundle `<id>#/$defs/X`. */
function rewriteRefs<T>(node: T, id: string): T {
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

/** The text of an `x-` extension, when it is one. */
function note(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() ? value.trim().replace(/\s+/g, ' ') : undefined;
}

/** Applies `visit` to every direct subschema of a schema node (properties, allOf items, items, …), keeping the rest as is. */
function mapSubschemas(schema: Record<string, unknown>, visit: (sub: unknown) => unknown): Record<string, unknown> {
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

/**
 * Copies each `x-inferred` note down to every subschema under it that has none of its own, so that an error in any
 * node (ajv's `parentSchema`) names the note of the inferred rule it belongs to. References are not followed: a
 * component carries its own notes.
 */
function inheritInferred<T>(schema: T, inherited: string | undefined): T {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return schema;
  const own = note((schema as Record<string, unknown>)['x-inferred']) ?? inherited;
  const out = mapSubschemas(schema as Record<string, unknown>, (sub) => inheritInferred(sub, own));
  if (own !== undefined) out['x-inferred'] = own;
  return out as T;
}

/** Every component schema with its notes inherited. */
function inheritInferredComponents(components: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(components).map(([name, schema]) => [name, inheritInferred(schema, undefined)]));
}

/** The documented part of a schema: every subschema carrying `x-inferred` becomes `{}`, which accepts anything. */
function withoutInferred<T>(schema: T): T {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return schema;
  if (note((schema as Record<string, unknown>)['x-inferred']) !== undefined) return {} as T;
  return mapSubschemas(schema as Record<string, unknown>, (sub) => withoutInferred(sub)) as T;
}

/** Every component schema, documented part only. */
function withoutInferredComponents(components: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(components).map(([name, schema]) => [name, withoutInferred(schema)]));
}

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
    if (Array.isArray(list)) out[key] = (list as unknown[]).map((sub) => closeObjects(sub));
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

if (require.main === module) {
  // npm run contract:validators: writes the standalone module for the default document.
  try {
    const { js, dts } = standaloneValidators();
    fs.writeFileSync(standaloneFiles.js, js);
    fs.writeFileSync(standaloneFiles.dts, dts);
    process.stdout.write(`wrote ${path.relative(process.cwd(), standaloneFiles.js)} (${Math.round(js.length / 1024)} KiB) and its .d.ts\n`);
  } catch (error) {
    process.stderr.write(`error: ${errorText(error)}\n`);
    process.exitCode = 2;
  }
}
