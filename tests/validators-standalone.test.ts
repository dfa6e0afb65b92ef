// The validators generated ahead of time (contract/validators.generated.js): current with the document, used only while
// current, and judging every body exactly as the validators compiled at run time do, failures and their evidence included.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { test, expect } from '@playwright/test';
import type { OpenAPIV3_1 } from 'openapi-types';
import ts from 'typescript';
import {
  checkResponse,
  compileContract,
  compilePath,
  loadContract,
  precompiledContract,
  standaloneFiles,
  standaloneFingerprint,
  standaloneValidators,
  type BodyValidator,
  type Contract,
} from '../contract';
import { resolveRef } from '../contract/openapi';
import * as generated from '../contract/validators.generated';
import { repoRoot } from './helpers/run-gate';

const contractFile = path.join(repoRoot, 'openapi', 'customer-management.yaml');
const kinds = ['validate', 'validateDocumented', 'validateClosed'] as const;

/** Every example body of every documented response, by `operationId status`. */
function exampleBodies(contract: Contract): Map<string, unknown[]> {
  const bodies = new Map<string, unknown[]>();
  for (const operation of contract.operations.values()) {
    const item = contract.document.paths?.[operation.path] as OpenAPIV3_1.PathItemObject;
    const responses = (item[operation.method] as OpenAPIV3_1.OperationObject).responses ?? {};
    for (const [status, responseOrRef] of Object.entries(responses)) {
      const response = resolveRef<OpenAPIV3_1.ResponseObject>(contract.document, responseOrRef);
      const examples = Object.values(response.content?.['application/json']?.examples ?? {});
      bodies.set(
        `${operation.operationId} ${status}`,
        examples.map((e): unknown => resolveRef<OpenAPIV3_1.ExampleObject>(contract.document, e).value as unknown),
      );
    }
  }
  return bodies;
}

const replacements: unknown[] = [null, 0, -1, 1.5, '', 'x', 'not-a-date', '2024-13-45T99:99:99Z', true, false, [], {}, [1], { a: 1 }];

/** The body and variants of it that break it in every place: each value retyped, each property removed, an extra one added. */
function mutations(body: unknown): unknown[] {
  const out: unknown[] = [body, null, [], {}, 'text', 0];
  const visit = (node: unknown, replace: (value: unknown) => unknown): void => {
    for (const value of replacements) out.push(replace(value));
    if (Array.isArray(node)) {
      const items = node as unknown[];
      items.forEach((item, index) =>
        visit(item, (value) => {
          const copy = [...items];
          copy[index] = value;
          return replace(copy);
        }),
      );
    } else if (typeof node === 'object' && node !== null) {
      const record = node as Record<string, unknown>;
      out.push(replace({ ...record, zz_undocumented: 1 }));
      for (const key of Object.keys(record)) {
        const { [key]: _removed, ...without } = record;
        out.push(replace(without));
        visit(record[key], (value) => replace({ ...record, [key]: value }));
      }
    }
  };
  visit(body, (value) => value);
  return out;
}

/**
 * expect(actual, message).toEqual(expected), at a fraction of the cost when they are equal: Playwright's expect records a
 * step and a stack per call, which made ~5,400 calls take most of a minute and a half, while the comparisons themselves
 * take a second or two. Deep strict equality implies toEqual, so a pair that passes here would pass there; any other pair
 * goes to expect, which decides (toEqual is the looser of the two) and prints its diff.
 */
function expectEqual(actual: unknown, expected: unknown, message: () => string): void {
  if (!isDeepStrictEqual(actual, expected)) expect(actual, message()).toEqual(expected);
}

/** What a validator said about a body: its verdict and every error, evidence (parentSchema) included. */
function verdict(validate: BodyValidator, body: unknown): unknown {
  const valid = validate(body);
  return { valid, errors: valid ? null : structuredClone(validate.errors) };
}

/**
 * Every repository source file (without extension) the generator reaches from contract/standalone.ts through its relative
 * imports, type-only ones included; the module it writes (contract/validators.generated) is its output, not its input.
 */
function compilePathImports(): string[] {
  const reached = new Set<string>();
  const visit = (file: string): void => {
    if (reached.has(file)) return;
    reached.add(file);
    const source = fs.readFileSync(path.join(repoRoot, `${file}.ts`), 'utf8');
    for (const { fileName } of ts.preProcessFile(source, true, true).importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), fileName)).replace(/\/index$/, '');
      if (target === 'contract/validators.generated') continue;
      visit(fs.existsSync(path.join(repoRoot, `${target}.ts`)) ? target : `${target}/index`);
    }
  };
  visit('contract/standalone');
  return [...reached].sort();
}

test.describe('the standalone validators (contract/validators.generated.js)', () => {
  test('the fingerprint covers every file on the compile path: each file the generator imports, directly or not, is listed', () => {
    expect([...compilePath].sort(), 'add the file to compilePath in contract/standalone.ts (and run `npm run contract:validators`)').toEqual(
      compilePathImports(),
    );
    // And each listed file counts: a change to any of them changes the fingerprint.
    const document = fs.readFileSync(contractFile);
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'compile-path-'));
    for (const file of compilePath) {
      fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      fs.copyFileSync(path.join(repoRoot, `${file}.ts`), path.join(root, `${file}.ts`));
    }
    const copied = standaloneFingerprint(document, root, '.ts');
    expect(copied, 'the copy hashes as the repository does').toBe(standaloneFingerprint(document));
    for (const file of compilePath) {
      const original = fs.readFileSync(path.join(root, `${file}.ts`));
      fs.writeFileSync(path.join(root, `${file}.ts`), Buffer.concat([original, Buffer.from('\n')]));
      expect(standaloneFingerprint(document, root, '.ts'), `${file} changed`).not.toBe(copied);
      fs.writeFileSync(path.join(root, `${file}.ts`), original);
    }
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('are current with the document and its compile path', () => {
    const { js, dts } = standaloneValidators(contractFile);
    expect(fs.readFileSync(standaloneFiles.js, 'utf8') === js, 'run `npm run contract:validators` and commit the result').toBe(true);
    expect(fs.readFileSync(standaloneFiles.dts, 'utf8'), 'run `npm run contract:validators` and commit the result').toBe(dts);
    expect(precompiledContract(), 'the generated module matches its fingerprint').toBeDefined();
  });

  test('are what loadContract uses, and never when they are stale or for another document', () => {
    expect(loadContract().response('getCustomer', 200).validate).toBe(generated.validators['getCustomer 200 validate']);
    // A stale module (another document, another compile path or ajv) is not used: the contract is compiled instead.
    expect(precompiledContract(contractFile, { ...generated, fingerprint: '0'.repeat(64) })).toBeUndefined();
    const copy = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'standalone-')), 'customer-management.yaml');
    fs.copyFileSync(contractFile, copy);
    expect(precompiledContract(copy), 'another file, even with the same bytes').toBeUndefined();
  });

  test('judge every body as the run-time validators do: verdicts, errors, evidence and findings', () => {
    const runtime = compileContract(contractFile);
    const standalone = precompiledContract(contractFile);
    expect(standalone, 'the generated module is current').toBeDefined();
    let bodies = 0;
    let failures = 0;
    for (const [response, examples] of exampleBodies(runtime)) {
      const [operationId, status] = response.split(' ') as [string, string];
      const compiled = runtime.response(operationId, Number(status));
      const generatedOne = standalone!.response(operationId, Number(status));
      expect({ ...generatedOne, validate: 0, validateDocumented: 0, validateClosed: 0 }, `${response} outline`).toEqual({
        ...compiled,
        validate: 0,
        validateDocumented: 0,
        validateClosed: 0,
      });
      for (const body of examples.flatMap(mutations)) {
        for (const kind of kinds) {
          const expected = verdict(compiled[kind], body);
          expectEqual(verdict(generatedOne[kind], body), expected, () => `${response} ${kind} on ${JSON.stringify(body)}`);
          if (!(expected as { valid: boolean }).valid) failures++;
        }
        const observed = { status: Number(status), contentType: 'application/json', bodyText: JSON.stringify(body) };
        expectEqual(
          checkResponse(standalone!, operationId, observed),
          checkResponse(runtime, operationId, observed),
          () => `${response} findings on ${observed.bodyText}`,
        );
        bodies++;
      }
    }
    // Every response's examples, broken in every place: most variants fail, so the failures were compared too.
    expect(bodies).toBeGreaterThan(1000);
    expect(failures).toBeGreaterThan(bodies);
  });

  test("judge every parameter value as the run-time validators do (the generated phase's input)", () => {
    const runtime = compileContract(contractFile);
    const standalone = precompiledContract(contractFile)!;
    const values: unknown[] = [
      'cust_abc123',
      'C',
      'x'.repeat(200),
      '',
      ' ',
      '2024-01-31',
      '2024-02-30',
      '2024-01-31T10:00:00Z',
      '2024-01-31T10:00:00+05:30',
      '2024-01-31 10:00:00',
      '20240131',
      'not-a-date',
      '../x',
      0,
      null,
      [],
    ];
    const parameters: Array<[string, 'path' | 'query', string]> = [
      ['getCustomer', 'path', 'customer_id'],
      ['deleteCustomer', 'path', 'customer_id'],
      ['getCustomerUsage', 'path', 'customer_id'],
      ['getCustomerUsage', 'query', 'start_date'],
      ['getCustomerUsage', 'query', 'end_date'],
    ];
    let accepted = 0;
    let refused = 0;
    for (const [operationId, where, name] of parameters) {
      const compiled = runtime.parameter(operationId, where, name);
      const ahead = standalone.parameter(operationId, where, name);
      expect(ahead, `${operationId} ${name} comes from the generated module`).toBe(generated.validators[`${operationId} ${where} ${name} parameter`]);
      for (const value of values) {
        const expected = verdict(compiled, value);
        expect(verdict(ahead, value), `${operationId} ${where} ${name} on ${JSON.stringify(value)}`).toEqual(expected);
        if ((expected as { valid: boolean }).valid) accepted++;
        else refused++;
      }
    }
    // Both outcomes were compared: the dates accept some values and refuse others, and so do the ids.
    expect(accepted).toBeGreaterThan(5);
    expect(refused).toBeGreaterThan(5);
    expect(() => runtime.parameter('getCustomer', 'query', 'start_date')).toThrow(/declares no query parameter "start_date"/);
  });
});
