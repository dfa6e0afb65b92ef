// The contract document itself: its examples match its own schemas, generated types are current, a broken document is refused clearly.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { test, expect } from '@playwright/test';
import type { OpenAPIV3_1 } from 'openapi-types';
import { UserError } from '../config/errors';
import { compileContract, loadContract } from '../contract';
import { readOpenApiDocument, resolveRef, responseExample } from '../contract/openapi';
import { repoRoot } from './helpers/run-gate';

const contractFile = path.join(repoRoot, 'openapi', 'customer-management.yaml');

test.describe('the OpenAPI document', () => {
  test('every response example validates against its own schema, through the compiled validators', () => {
    const contract = loadContract();
    const document = contract.document;
    let checked = 0;
    for (const operation of contract.operations.values()) {
      const item = document.paths?.[operation.path] as OpenAPIV3_1.PathItemObject;
      const responses = (item[operation.method] as OpenAPIV3_1.OperationObject).responses ?? {};
      for (const [status, responseOrRef] of Object.entries(responses)) {
        const response = resolveRef<OpenAPIV3_1.ResponseObject>(document, responseOrRef);
        const media = response.content?.['application/json'];
        const examples = Object.entries(media?.examples ?? {});
        expect(examples.length, `${operation.operationId} ${status} has an example`).toBeGreaterThan(0);
        for (const [name, exampleOrRef] of examples) {
          const example = resolveRef<OpenAPIV3_1.ExampleObject>(document, exampleOrRef);
          const { validate, validateClosed } = contract.response(operation.operationId, Number(status));
          expect(validate(example.value), `${operation.operationId} ${status} example "${name}": ${JSON.stringify(validate.errors)}`).toBe(true);
          expect(validateClosed(example.value), `${operation.operationId} ${status} example "${name}" has no undocumented property`).toBe(true);
          checked++;
        }
      }
    }
    expect(checked).toBe(13);
  });

  test("the documented examples are the vendor page's, verbatim", () => {
    const docsFile = path.join(repoRoot, '..', 'shared', 'api-docs', 'customer-management.txt');
    test.skip(!fs.existsSync(docsFile), `the vendor page is not beside this checkout (${docsFile})`);
    const docs = fs.readFileSync(docsFile, 'utf8');
    const document = loadContract().document;
    for (const [operationId, status] of [['getCustomer', 200], ['deleteCustomer', 200], ['getCustomerUsage', 200]] as const) {
      const example = { value: responseExample(document, operationId, status) };
      // The page prints each example as indented JSON; compare values, not whitespace.
      const printed = JSON.stringify(example.value, null, 2).split('\n').map((line) => line.trim()).join('\n');
      expect(docs.includes(printed), `${operationId} ${status} example appears verbatim on the vendor page`).toBe(true);
    }
  });

  test('a validator that is not in the contract throws instead of passing', () => {
    const contract = loadContract();
    expect(() => contract.response('getCustomer', 418)).toThrow(/getCustomer documents no 418 response/);
    expect(() => contract.operation('listCustomers')).toThrow(/the contract has no operation "listCustomers"/);
  });

  test('the generated TypeScript types are current with the document', () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'types-')), 'types.ts');
    execFileSync(process.execPath, [path.join(repoRoot, 'node_modules', 'openapi-typescript', 'bin', 'cli.js'), contractFile, '-o', out], { cwd: repoRoot, stdio: 'pipe' });
    expect(fs.readFileSync(out, 'utf8'), 'run `npm run contract:types` and commit the result').toBe(
      fs.readFileSync(path.join(repoRoot, 'contract', 'openapi-types.generated.ts'), 'utf8'),
    );
  });

  test.describe('a malformed document is refused with a sentence that says what to fix', () => {
    const original = YAML.parse(fs.readFileSync(contractFile, 'utf8')) as OpenAPIV3_1.Document;
    const getCustomer = (doc: OpenAPIV3_1.Document) => doc.paths!['/{customer_id}']!.get!;
    const cases: Array<[string, (doc: OpenAPIV3_1.Document) => string | OpenAPIV3_1.Document, RegExp]> = [
      ['not YAML', () => 'openapi: 3.1.0\npaths: {\n  bad', /is not valid YAML or JSON/],
      ['OpenAPI 3.0', (doc) => ({ ...doc, openapi: '3.0.3' }), /must declare "openapi: 3\.1\.x" \(found "3\.0\.3"\)/],
      ['no operationId', (doc) => { delete getCustomer(doc).operationId; return doc; }, /GET \/\{customer_id\} has no operationId/],
      ['a dangling $ref', (doc) => { getCustomer(doc).responses!['401'] = { $ref: '#/components/responses/Nope' }; return doc; }, /\$ref "#\/components\/responses\/Nope" points at nothing/],
      ['a misspelt schema keyword', (doc) => { Object.assign(doc.components!.schemas!.Count!, { minimun: 0 }); return doc; }, /does not compile: strict mode: unknown keyword: "minimun"/],
      ['a wildcard status', (doc) => { const responses = getCustomer(doc).responses!; responses['5XX'] = responses['500']!; return doc; }, /use explicit status codes/],
    ];
    for (const [name, mutate, message] of cases) {
      test(name, () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'spec-')), 'spec.yaml');
        const mutated = mutate(structuredClone(original));
        fs.writeFileSync(file, typeof mutated === 'string' ? mutated : YAML.stringify(mutated));
        let error: unknown;
        try {
          compileContract(file);
        } catch (caught) {
          error = caught;
        }
        expect(error).toBeInstanceOf(UserError);
        expect((error as Error).message).toMatch(message);
      });
    }
  });

  test('the document reads back as OpenAPI 3.1 with the three documented operations', () => {
    const document = readOpenApiDocument(contractFile);
    expect(document.openapi).toBe('3.1.0');
    expect([...loadContract().operations.keys()].sort()).toEqual(['deleteCustomer', 'getCustomer', 'getCustomerUsage']);
  });
});
