// The contract document itself: its examples match its own schemas, generated types are current, a broken document is refused clearly.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { test, expect } from '@playwright/test';
import type { OpenAPIV3_1 } from 'openapi-types';
import { UserError } from '../config/errors';
import { checkResponse, compileContract, loadContract } from '../contract';
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
    // Every operation documents 200, 401, 404 and 500, and (inferred) 403 and 429; usage also 400.
    expect(checked).toBe(19);
  });

  test("the documented examples are the vendor page's, verbatim", () => {
    const docsFile = path.join(repoRoot, '..', 'shared', 'api-docs', 'customer-management.txt');
    test.skip(!fs.existsSync(docsFile), `the vendor page is not beside this checkout (${docsFile})`);
    const docs = fs.readFileSync(docsFile, 'utf8');
    const document = loadContract().document;
    for (const [operationId, status] of [
      ['getCustomer', 200],
      ['deleteCustomer', 200],
      ['getCustomerUsage', 200],
    ] as const) {
      const example = { value: responseExample(document, operationId, status) };
      // The page prints each example as indented JSON; compare values, not whitespace.
      const printed = JSON.stringify(example.value, null, 2)
        .split('\n')
        .map((line) => line.trim())
        .join('\n');
      expect(docs.includes(printed), `${operationId} ${status} example appears verbatim on the vendor page`).toBe(true);
    }
  });

  test.describe('every rule carries its evidence: what the page does not state is inferred, what it states is enforced as documented', () => {
    const contract = loadContract();
    const customer = responseExample(contract.document, 'getCustomer', 200) as { data: Record<string, unknown> };
    const usage = responseExample(contract.document, 'getCustomerUsage', 200) as { data: { usage: Record<string, unknown> } };
    const withCustomer = (change: Record<string, unknown>) => ({ ...customer, data: { ...customer.data, ...change } });
    const withUsage = (change: Record<string, unknown>) => ({ ...usage, data: { ...usage.data, usage: { ...usage.data.usage, ...change } } });
    const cases: Array<[string, string, number, unknown, string | undefined, { pointer: string; level: string; kind?: string }]> = [
      // Stricter than the page: inferred.
      [
        'a fractional count',
        'getCustomerUsage',
        200,
        withUsage({ total_minutes: 18350.5 }),
        undefined,
        { pointer: '/data/usage/total_minutes', level: 'inferred', kind: 'type-mismatch' },
      ],
      [
        'a negative count',
        'getCustomer',
        200,
        withCustomer({ plan: { type: 'enterprise', max_apps: -1, max_users_per_app: 100 } }),
        undefined,
        { pointer: '/data/plan/max_apps', level: 'inferred' },
      ],
      ['a null string', 'getCustomer', 200, withCustomer({ name: null }), undefined, { pointer: '/data/name', level: 'inferred' }],
      ['an empty string', 'getCustomer', 200, withCustomer({ account_sid: '' }), undefined, { pointer: '/data/account_sid', level: 'inferred' }],
      [
        'an error body as {"error": …}',
        'getCustomer',
        401,
        { error: 'nope' },
        undefined,
        { pointer: '/success', level: 'inferred', kind: 'missing-required-property' },
      ],
      ['another media type', 'getCustomer', 200, customer, 'application/hal+json', { pointer: '', level: 'inferred', kind: 'content-type-mismatch' }],
      ['an HTML error page', 'getCustomer', 404, '<html></html>', 'text/html', { pointer: '', level: 'inferred', kind: 'unparsable-body' }],
      // What the page states: documented.
      [
        'a count served as a string',
        'getCustomer',
        200,
        withCustomer({ users_count: '25' }),
        undefined,
        { pointer: '/data/users_count', level: 'documented', kind: 'type-mismatch' },
      ],
      [
        'a timestamp with a space for T',
        'getCustomer',
        200,
        withCustomer({ created_at: '2024-01-15 09:00:00Z' }),
        undefined,
        { pointer: '/data/created_at', level: 'inferred', kind: 'format-mismatch' },
      ],
      [
        'a timestamp with lower-case t and z',
        'getCustomer',
        200,
        withCustomer({ updated_at: '2024-06-15t10:00:00.000z' }),
        undefined,
        { pointer: '/data/updated_at', level: 'inferred', kind: 'format-mismatch' },
      ],
      [
        'a timestamp without milliseconds',
        'getCustomer',
        200,
        withCustomer({ created_at: '2024-01-15T09:00:00Z' }),
        undefined,
        { pointer: '/data/created_at', level: 'inferred', kind: 'format-mismatch' },
      ],
      [
        'a missing property the page shows',
        'getCustomer',
        200,
        withCustomer({ apps_count: undefined }),
        undefined,
        { pointer: '/data/apps_count', level: 'documented', kind: 'missing-required-property' },
      ],
      ['a 200 body that is not JSON', 'getCustomer', 200, '{"success": tru', undefined, { pointer: '', level: 'documented', kind: 'unparsable-body' }],
    ];
    for (const [name, operation, status, body, contentType, expected] of cases) {
      test(name, () => {
        const check = checkResponse(contract, operation, {
          status,
          contentType: contentType ?? 'application/json',
          bodyText: typeof body === 'string' ? body : JSON.stringify(body),
        });
        const finding = check.breaking.find((f) => f.pointer === expected.pointer && (expected.kind === undefined || f.kind === expected.kind));
        expect(finding, `${name}: ${check.breaking.map((f) => `${f.evidence.level} ${f.message}`).join('; ')}`).toBeDefined();
        expect(finding?.evidence.level).toBe(expected.level);
        if (expected.level === 'inferred') expect(finding?.evidence.note, 'an inferred rule says why').toMatch(/.{20,}/);
        expect(
          check.breaking.filter((f) => f.pointer === expected.pointer && f.evidence.level !== expected.level),
          'the stricter rule adds nothing where the page already fails',
        ).toEqual([]);
      });
    }

    test('the observed value names its JSON type', () => {
      const check = checkResponse(contract, 'getCustomer', {
        status: 200,
        contentType: 'application/json',
        bodyText: JSON.stringify(withCustomer({ users_count: '25' })),
      });
      expect(check.breaking[0]).toMatchObject({ observed: '25', observedType: 'string', expected: 'number' });
      expect(check.breaking[0]?.message).toBe('/data/users_count: type mismatch: expected number, observed "25" (string)');
    });

    test('403 and 429 are in every operation, inferred and never provoked; 400 is inferred; 500 is simulator-only; the media type is inferred', () => {
      for (const operation of contract.operations.values()) {
        for (const status of [403, 429]) {
          const response = contract.response(operation.operationId, status);
          expect(response.statusEvidence.level, `${operation.operationId} ${status}`).toBe('inferred');
          expect(response.unprovoked, `${operation.operationId} ${status}`).toBe(true);
        }
        for (const status of [200, 401, 404]) expect(contract.response(operation.operationId, status).statusEvidence.level).toBe('documented');
        expect(contract.response(operation.operationId, 500).statusEvidence.level).toBe('simulator-only');
        for (const response of operation.responses.values()) expect(response.mediaTypeEvidence.level).toBe('inferred');
      }
      expect(contract.response('getCustomerUsage', 400).statusEvidence.level).toBe('inferred');
      expect(contract.response('getCustomer', 401).bodyEvidence.level, 'no error body is documented').toBe('inferred');
      expect(contract.response('getCustomer', 200).bodyEvidence.level).toBe('documented');
    });
  });

  test('a validator that is not in the contract throws instead of passing', () => {
    const contract = loadContract();
    expect(() => contract.response('getCustomer', 418)).toThrow(/getCustomer documents no 418 response/);
    expect(() => contract.operation('listCustomers')).toThrow(/the contract has no operation "listCustomers"/);
  });

  test('the generated TypeScript types are current with the document', () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'types-')), 'types.ts');
    execFileSync(process.execPath, [path.join(repoRoot, 'node_modules', 'openapi-typescript', 'bin', 'cli.js'), contractFile, '-o', out], {
      cwd: repoRoot,
      stdio: 'pipe',
    });
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
      [
        'no operationId',
        (doc) => {
          delete getCustomer(doc).operationId;
          return doc;
        },
        /GET \/\{customer_id\} has no operationId/,
      ],
      [
        'a dangling $ref',
        (doc) => {
          getCustomer(doc).responses['401'] = { $ref: '#/components/responses/Nope' };
          return doc;
        },
        /\$ref "#\/components\/responses\/Nope" points at nothing/,
      ],
      [
        'a misspelt schema keyword',
        (doc) => {
          Object.assign(doc.components!.schemas!.Count!, { minimun: 0 });
          return doc;
        },
        /does not compile: strict mode: unknown keyword: "minimun"/,
      ],
      [
        'a wildcard status',
        (doc) => {
          const responses = getCustomer(doc).responses;
          responses['5XX'] = responses['500']!;
          return doc;
        },
        /use explicit status codes/,
      ],
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
