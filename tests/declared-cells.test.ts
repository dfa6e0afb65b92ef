// Every spec test declares its intent as data: the contract cells it claims (or, generated, the operations it draws from), each a documented cell, so the reporter never needs its title.
import path from 'node:path';
import { expect, test } from '@playwright/test';
import type { JSONReport, JSONReportSuite } from '@playwright/test/reporter';
import { cellAnnotation, declaredIntent, drawnCellsAnnotation, loadContractOutline } from '../contract';
import { cell, drawnCells, ownSpec } from '../specs/support/intent';
import { repoRoot, runProcess } from './helpers/processes';

const playwrightCli = require.resolve('@playwright/test/cli');

interface ListedTest {
  file: string;
  title: string;
  annotations: Array<{ type: string; description?: string }>;
}

/** The gate's tests as `playwright test --list` loads them: static annotations only, nothing run (no global setup, no target). */
async function listGateTests(): Promise<ListedTest[]> {
  const run = await runProcess(process.execPath, [playwrightCli, 'test', '-c', path.join(repoRoot, 'playwright.config.ts'), '--list', '--reporter=json']);
  expect(run.code, `playwright test --list failed:\n${run.stderr.slice(-2000)}`).toBe(0);
  const report = JSON.parse(run.stdout) as JSONReport;
  expect(report.errors, 'every spec loads').toEqual([]);
  const tests: ListedTest[] = [];
  const visit = (suite: JSONReportSuite): void => {
    for (const spec of suite.specs) for (const t of spec.tests) tests.push({ file: spec.file, title: spec.title, annotations: t.annotations });
    suite.suites?.forEach(visit);
  };
  report.suites.forEach(visit);
  return tests;
}

test('every spec test declares the contract cells it claims, or the operations it draws from; every provokable cell is declared', async () => {
  const contract = loadContractOutline();
  const tests = await listGateTests();
  expect(tests.length, 'the gate has tests').toBeGreaterThan(20);
  const declared = new Set<string>();
  for (const t of tests) {
    const intent = declaredIntent(t.annotations);
    expect(
      intent.cells.length + intent.drawn.length,
      `${t.file} › ${t.title} declares no ${cellAnnotation} (cell('operationId', status)) or ${drawnCellsAnnotation}: the reporter reads intent from declarations only`,
    ).toBeGreaterThan(0);
    for (const c of intent.cells) {
      expect(contract.operations.get(c.operation)?.responses.has(c.status), `${t.file} › ${t.title}: ${c.operation} ${c.status} is documented`).toBe(true);
      declared.add(`${c.operation} ${c.status}`);
    }
    for (const operation of [...intent.drawn, ...intent.ownSpecOf]) expect(contract.operations.has(operation), `${t.file}: ${operation}`).toBe(true);
  }
  // A cell no test declares could never be excused by a skip: coverage would call it missing on every real target.
  const provokable = [...contract.operations.values()].flatMap((op) =>
    [...op.responses.values()].filter((r) => !r.unprovoked).map((r) => `${op.operationId} ${r.status}`),
  );
  expect(provokable.filter((c) => !declared.has(c))).toEqual([]);
});

test('a declaration names a documented cell, or the spec fails to load', () => {
  expect(cell('getCustomer', 404)).toEqual([{ type: cellAnnotation, description: 'getCustomer 404' }]);
  expect(ownSpec('deleteCustomer')).toEqual({ annotation: { type: 'contract-spec', description: 'deleteCustomer' } });
  // The compiler refuses these already (the generated OpenAPI types); a spec that casts its way past it still fails at load.
  // @ts-expect-error 418 is not a documented status of getCustomer
  expect(() => cell('getCustomer', 418)).toThrow(
    'a spec declares the contract cell getCustomer 418, which the contract does not document: getCustomer documents',
  );
  // @ts-expect-error updateCustomer is no operation of the contract
  expect(() => cell('updateCustomer', 200)).toThrow('operation "updateCustomer", which the contract does not have');
  expect(() => drawnCells('updateCustomer')).toThrow('which the contract does not have');
  // And the reporter refuses a hand-made annotation it cannot read, rather than ignore it.
  expect(() => declaredIntent([{ type: cellAnnotation, description: 'getCustomer' }])).toThrow('must read "operationId status"');
});
