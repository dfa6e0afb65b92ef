// Standalone code generation: the compiled validators written ahead of time as ajv standalone code
// (contract/validators.generated.js, by `npm run contract:validators`, this file's CLI), and the contract loaded from it.
//
// loadContract() uses the module only while its fingerprint (the document's bytes, every source file on the compile path
// and the versions of the packages that shape it) matches, and compiles at run time otherwise: a stale file costs time,
// never a check.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type * as AjvStandalone from 'ajv/dist/standalone';
import { UserError } from '../config/errors';
import { assembleContract, contractAjv, errorText, validatorKeys, type Contract } from './compile';
import { readOperations } from './document-outline';
import { defaultContractPath, readOpenApiDocument, type OpenApiDocument } from './openapi';
import * as generated from './validators.generated';

/**
 * Every source file the standalone module is made from, from the repository root, without extension (`.ts` here, `.js`
 * in the compiled exporter): the compile and everything it imports, and this file (the module's wrapper). A change to
 * any of them makes the module stale. tests/validators-standalone.test.ts walks the imports from here and fails on a
 * file missing from this list.
 */
export const compilePath = [
  'config/errors',
  'contract/openapi',
  'contract/evidence',
  'contract/document-outline',
  'contract/schema-transforms',
  'contract/compile',
  'contract/standalone',
] as const;

/** The packages whose versions shape the module: the compiler, its formats, and the YAML parser that read the document it carries. */
const compilePackages = ['ajv', 'ajv-formats', 'yaml'] as const;

/**
 * What the standalone module is built from, hashed: the document's bytes, each file of the compile path (read under
 * `root` with `extension`: by default this file's own tree, so the compiled exporter hashes its compiled files) and the
 * package versions. When any of it changes, the module is stale and is not used.
 */
export function standaloneFingerprint(
  documentBytes: Buffer,
  root: string = path.resolve(__dirname, '..'),
  extension: string = path.extname(__filename),
): string {
  const hash = crypto.createHash('sha256');
  hash.update(documentBytes).update('\0');
  for (const file of compilePath)
    hash
      .update(`${file}\0`)
      .update(fs.readFileSync(path.join(root, `${file}${extension}`)))
      .update('\0');
  for (const pkg of compilePackages) hash.update(`${pkg}@${packageVersion(pkg)}\0`);
  return hash.digest('hex');
}

function packageVersion(pkg: string): string {
  const manifest = JSON.parse(fs.readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')) as { version?: unknown };
  return String(manifest.version);
}

/** What contract/validators.generated.js exports. */
export type StandaloneModule = Pick<typeof generated, 'fingerprint' | 'document' | 'validators'>;

/**
 * The contract from the standalone module (contract/validators.generated.js) when it was generated from exactly this
 * document, these sources and these package versions; undefined when it is stale (or the document is another file), and
 * the caller compiles at run time. Loading it costs a few file hashes instead of a YAML parse and an ajv compile.
 */
export function precompiledContract(file: string = defaultContractPath, standalone: StandaloneModule = generated): Contract | undefined {
  if (path.resolve(file) !== defaultContractPath) return undefined;
  let current: string;
  try {
    current = standaloneFingerprint(fs.readFileSync(file));
  } catch {
    return undefined; // compileContract says what is wrong with the document
  }
  if (standalone.fingerprint !== current) return undefined;
  const document = standalone.document as OpenApiDocument;
  return assembleContract(document, readOperations(document), (key) => {
    const validate = standalone.validators[key];
    if (!validate) throw new Error(`contract/validators.generated.js has no validator "${key}": run \`npm run contract:validators\``);
    return validate;
  });
}

/** ajv's standalone code generator, loaded only to generate. */
function standaloneCode(): typeof AjvStandalone.default {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- deliberately lazy; import() is not usable under Playwright's loader
  return (require('ajv/dist/standalone') as typeof AjvStandalone).default;
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
    code = standaloneCode()(ajv, keys);
  } catch (error) {
    throw new UserError(`the standalone validators cannot be generated: ${errorText(error)}`);
  }
  const relative = path.relative(path.resolve(__dirname, '..'), file);
  const js = [
    `// Generated by \`npm run contract:validators\` from ${relative} (contract/standalone.ts): do not edit.`,
    '// loadContract() uses it only while its fingerprint matches the document, the compile path (contract/standalone.ts, compilePath) and the package versions.',
    '"use strict";',
    `exports.fingerprint = ${JSON.stringify(standaloneFingerprint(bytes))};`,
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

const standaloneDeclarations = `// Generated by \`npm run contract:validators\` (contract/standalone.ts): the types of contract/validators.generated.js.
import type { ErrorObject } from 'ajv';

/** What the module was generated from (the document's bytes, the compile path's files, the ajv, ajv-formats and yaml versions), hashed. */
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
