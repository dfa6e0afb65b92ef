// The drift and coverage reporter: what it writes for drifting and faithful targets, when missing coverage fails a run, and that npm run drift never deletes.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import type { FullConfig, FullResult, JSONReport, JSONReportSuite, Suite, TestCase, TestResult } from '@playwright/test/reporter';
import express from 'express';
import { customerWithRole, type CustomerRole } from '../config/target';
import { cellAnnotation, loadContract, ownSpecAnnotation, parseRecord, recordAttachment, type ContractRecord, type RunFacts } from '../contract';
import ContractReporter from '../reporters/contract-reporter';
import { SimulatorState, createSimulatorApp, simulatorBasePath } from '../simulator/server';
import { runProcess, tsxCommand } from './helpers/processes';
import { remoteTargetEnv, repoRoot, runGate, sharedGateRun } from './helpers/run-gate';

const runsDir = path.join(repoRoot, 'reports', 'self-test', 'drift-report');

interface DriftReport {
  target: string;
  generatedAt: string;
  summary: { breaking: number; gating: number; warnings: number; nonBreaking: number };
  findings: Array<{
    operation: string;
    method: string;
    url: string;
    status: number;
    pointer: string;
    kind: string;
    severity: string;
    evidence: { level: string; note?: string };
    expected: unknown;
    observed: unknown;
    observedType: string;
    observedValues?: unknown[];
    message: string;
    curl: string;
    tests: string[];
    count: number;
  }>;
}

interface CoverageReport {
  target: string;
  readOnly: boolean;
  enforced: boolean;
  notEnforcedBecause: string[];
  summary: { documented: number; required: number; exercised: number; missing: number; notRequired: number };
  cells: Array<{
    operation: string;
    status: number;
    simulatorOnly: boolean;
    unprovoked: boolean;
    exercised: boolean;
    state: string;
    reason?: string;
    tests: string[];
    probedBy: string[];
  }>;
}

function readJson(dir: string, name: string): unknown {
  return JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));
}

/** How many findings at `pointer` the claims the tests attached (in Playwright's own results.json) report. */
function attachedFindings(results: JSONReport | undefined, pointer: string): number {
  let count = 0;
  const visit = (suite: JSONReportSuite): void => {
    for (const attachment of suite.specs.flatMap((spec) => spec.tests.flatMap((t) => t.results.flatMap((r) => r.attachments)))) {
      if (attachment.name !== recordAttachment || attachment.body === undefined) continue;
      const record = parseRecord(JSON.parse(Buffer.from(attachment.body, 'base64').toString('utf8')));
      if (record.role === 'claim') count += record.findings.filter((f) => f.pointer === pointer).length;
    }
    suite.suites?.forEach(visit);
  };
  results?.suites.forEach(visit);
  return count;
}

/** Every operation × documented status of the contract, as `operation status`. */
function documentedCells(): string[] {
  return [...loadContract().operations.values()].flatMap((op) => [...op.responses.keys()].map((status) => `${op.operationId} ${status}`)).sort();
}

test.describe('the drift report', () => {
  test('reports additive drift as non-breaking, deduplicated across tests, and the gate passes', async () => {
    const run = await runGate({ env: { SIMULATOR_MODE: 'undocumented-field', CONTRACT_WORKERS: '2' }, reportsDir: path.join(runsDir, 'undocumented-field') });
    expect(run.exitCode, run.failureText || run.stderr).toBe(0);
    const drift = readJson(run.reportsDir, 'drift.json') as DriftReport;
    expect(drift.target).toBe('simulator');
    expect(drift.summary.breaking).toBe(0);
    const region = drift.findings.filter((f) => f.operation === 'getCustomer' && f.status === 200 && f.pointer === '/data/region');
    expect(region, 'one entry for /data/region, however many tests saw it').toHaveLength(1);
    expect(region[0]).toMatchObject({
      kind: 'undocumented-property',
      severity: 'non-breaking',
      observed: 'mum1',
      observedType: 'string',
      evidence: { level: 'documented' },
    });
    expect(region[0]!.tests).toContain('GET /{customer_id} › answers 200 with the documented customer body');
    expect(new Set(region[0]!.tests).size, 'each test named once').toBe(region[0]!.tests.length);
    expect(region[0]!.count, 'count is every finding the tests attached, across both workers').toBe(attachedFindings(run.results, '/data/region'));
    expect(drift.summary.nonBreaking).toBe(drift.findings.length);
    const markdown = fs.readFileSync(path.join(run.reportsDir, 'drift.md'), 'utf8');
    expect(markdown.split('\n')[0]).toMatch(/^\*\*Contract drift: 0 breaking, \d+ non-breaking\*\*/);
    expect(markdown).toMatch(
      /\| getCustomer \| 200 \| `GET \/cust_abc123`( \(and \d+ other request\(s\), see drift\.json\))? \| `\/data\/region` \| undocumented-property \|/,
    );
    expect(run.stdout).toMatch(/drift: 0 breaking, \d+ non-breaking → .*drift\.md/);
  });

  test('reports a retyped field as breaking drift, and the gate fails', async () => {
    // The mutation table's run of this mode, shared within one npm test (helpers/run-gate.ts).
    const run = await sharedGateRun({ env: { SIMULATOR_MODE: 'retyped-field' } });
    expect(run.exitCode).not.toBe(0);
    const drift = readJson(run.reportsDir, 'drift.json') as DriftReport;
    const usersCount = drift.findings.find((f) => f.operation === 'getCustomer' && f.pointer === '/data/users_count');
    expect(usersCount).toMatchObject({
      status: 200,
      method: 'GET',
      url: '/cust_abc123',
      kind: 'type-mismatch',
      severity: 'breaking',
      evidence: { level: 'documented' },
      expected: 'number',
      observed: '25',
      observedType: 'string',
    });
    expect(usersCount?.curl).toBe('curl -sS -i -X GET "$API_BASE_URL/cust_abc123" -H "Authorization: Bearer $API_TOKEN" -H "Accept: application/json"');
    expect(drift.summary.breaking).toBeGreaterThanOrEqual(1);
    const markdown = fs.readFileSync(path.join(run.reportsDir, 'drift.md'), 'utf8');
    expect(markdown).toMatch(/^\*\*Contract drift: \d+ breaking \(documented\), 0 non-breaking\*\*/);
    expect(markdown).toContain('| getCustomer | 200 | `GET /cust_abc123` | `/data/users_count` | type-mismatch | `"number"` | `"25"` (string) | documented |');
  });

  test('finds no drift against the faithful simulator, and every documented response is exercised, 500s included', async () => {
    const run = await sharedGateRun({ env: { SIMULATOR_MODE: 'faithful' } });
    expect(run.exitCode, run.failureText || run.stderr).toBe(0);
    const drift = readJson(run.reportsDir, 'drift.json') as DriftReport;
    expect(drift.findings).toEqual([]);
    expect(drift.summary).toMatchObject({ breaking: 0, gating: 0, warnings: 0, nonBreaking: 0 });
    expect(fs.readFileSync(path.join(run.reportsDir, 'drift.md'), 'utf8')).toMatch(/^\*\*Contract drift: No drift\*\*/);
    const coverage = readJson(run.reportsDir, 'coverage.json') as CoverageReport;
    expect(coverage.enforced).toBe(true);
    expect(coverage.cells.map((c) => `${c.operation} ${c.status}`).sort()).toEqual(documentedCells());
    // Every cell a test provokes was answered; the x-unprovoked ones (403, 429) are documented but never provoked.
    const provoked = coverage.cells.filter((c) => !c.unprovoked);
    expect(provoked.filter((c) => !c.exercised || c.state !== 'exercised' || c.tests.length === 0)).toEqual([]);
    expect(coverage.cells.filter((c) => c.unprovoked).map((c) => `${c.status} ${c.state}`)).toEqual(Array(3).fill(['403 unprovoked', '429 unprovoked']).flat());
    expect(
      coverage.cells
        .filter((c) => c.simulatorOnly)
        .map((c) => `${c.operation} ${c.status}`)
        .sort(),
    ).toEqual(['deleteCustomer 500', 'getCustomer 500', 'getCustomerUsage 500']);
    expect(run.stdout).toContain(`contract coverage ${provoked.length}/${provoked.length} · drift: 0 breaking, 0 non-breaking`);
  });

  test('does not enforce coverage when the run is filtered', async () => {
    const run = await runGate({ args: ['--grep-invert', 'answers 400'], reportsDir: path.join(runsDir, 'filtered') });
    expect(run.exitCode, run.failureText || run.stderr).toBe(0);
    const coverage = readJson(run.reportsDir, 'coverage.json') as CoverageReport;
    expect(coverage.enforced).toBe(false);
    expect(coverage.notEnforcedBecause).toEqual(['--grep-invert']);
    expect(coverage.cells.find((c) => c.operation === 'getCustomerUsage' && c.status === 400)).toMatchObject({ exercised: false, state: 'missing' });
    expect(run.stdout).not.toContain('never exercised');
    expect(run.stdout).toContain('(not enforced: --grep-invert)');
  });
});

test.describe('the coverage rule, fed synthetic runs', () => {
  const contract = loadContract();
  const allCells = [...contract.operations.values()].flatMap((op) => [...op.responses.keys()].map((status) => ({ op, status })));

  /** A fake run: one passing test per documented cell except `omit`, plus `skipped` tests; returns what onEnd returned and printed. */
  async function feed(options: {
    omit?: string[];
    argv?: string[];
    target?: RunFacts['target'];
    skipped?: Array<{ titlePath: string[]; reason: string | undefined; declares?: Annotation[] }>;
    dir: string;
  }) {
    const outputDir = path.join(runsDir, 'unit', options.dir);
    fs.rmSync(outputDir, { recursive: true, force: true });
    const reporter = new ContractReporter({ outputDir, htmlTitle: false });
    const run: RunFacts = { target: options.target ?? 'simulator', readOnly: false, strictness: 'inferred' };
    const ran = allCells
      .filter(({ op, status }) => !(options.omit ?? []).includes(`${op.operationId} ${status}`) && !op.responses.get(status)?.unprovoked)
      .map(({ op, status }, i) => {
        const titlePath = ['', '', 'synthetic.spec.ts', `${op.method.toUpperCase()} ${op.path}`, `answers ${status} (${i})`];
        const record: ContractRecord = {
          format: 'contract-record/1',
          role: 'claim',
          claim: `answers ${status}`,
          operation: op.operationId,
          request: { method: op.method === 'delete' ? 'DELETE' : 'GET', url: '/cust_1', credential: { kind: 'none' } },
          expectedStatus: status,
          status,
          outcome: 'passed',
          findings: [],
          run,
        };
        return { test: fakeTest(`t${i}`, titlePath, [declaredCell(op.operationId, status)]), result: fakeResult('passed', [record]) };
      });
    const skipped = (options.skipped ?? []).map((s, i) => ({
      test: fakeTest(`s${i}`, s.titlePath, s.declares ?? []),
      result: fakeResult('skipped', [], s.reason === undefined ? [] : [{ type: 'skip', description: s.reason }]),
    }));
    const all = [...ran, ...skipped];
    const config = { argv: options.argv ?? ['node', 'cli.js', 'test'], shard: null, projects: [{ grep: /.*/, grepInvert: null }] } as unknown as FullConfig;
    reporter.onBegin(config, { allTests: () => all.map((t) => t.test) } as unknown as Suite);
    for (const { test: t, result } of all) reporter.onTestEnd(t, result);
    const printed: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = (chunk: string | Uint8Array) => (printed.push(String(chunk)), true);
    let returned: Awaited<ReturnType<ContractReporter['onEnd']>>;
    try {
      returned = await reporter.onEnd({ status: 'passed' } as FullResult);
      await reporter.onExit();
    } finally {
      process.stdout.write = write;
    }
    return { returned, stdout: printed.join(''), coverage: readJson(outputDir, 'coverage.json') as CoverageReport, outputDir };
  }

  test('a documented response that no test exercised fails the run, naming the cell', async () => {
    const run = await feed({ omit: ['getCustomerUsage 400'], dir: 'missing' });
    expect(run.returned).toEqual({ status: 'failed' });
    expect(run.stdout).toContain('contract coverage: getCustomerUsage 400 was never exercised');
    expect(run.coverage.enforced).toBe(true);
    expect(run.coverage.cells.filter((c) => c.state === 'missing').map((c) => `${c.operation} ${c.status}`)).toEqual(['getCustomerUsage 400']);
    expect(fs.readFileSync(path.join(run.outputDir, 'coverage.md'), 'utf8')).toMatch(
      /\| getCustomerUsage `GET \/\{customer_id\}\/usage` \| [^|]+ \| \*\*MISSING\*\* \|/,
    );
  });

  test('full coverage leaves the run alone', async () => {
    const run = await feed({ dir: 'complete' });
    expect(run.returned).toBeUndefined();
    expect(run.coverage.summary).toMatchObject({ missing: 0, exercised: allCells.filter(({ op, status }) => !op.responses.get(status)?.unprovoked).length });
  });

  for (const [name, argv] of [
    ['--grep', ['node', 'cli.js', 'test', '-c', 'playwright.config.ts', '--grep', 'GET']],
    ['a file argument', ['node', 'cli.js', 'test', '--workers', '2', 'specs/get-customer.spec.ts']],
    ['--shard', ['node', 'cli.js', 'test', '--shard=1/2']],
    ['--last-failed', ['node', 'cli.js', 'test', '--last-failed']],
  ] as const) {
    test(`a run filtered by ${name} is not held to coverage`, async () => {
      const run = await feed({ omit: ['getCustomerUsage 400'], argv: [...argv], dir: `filtered-${name.replace(/\W+/g, '-')}` });
      expect(run.returned).toBeUndefined();
      expect(run.coverage.enforced).toBe(false);
      expect(run.stdout).not.toContain('never exercised');
    });
  }

  test('a test that never ran (max failures, interruption) makes the run incomplete, not a coverage failure', async () => {
    const run = await feed({
      omit: ['getCustomerUsage 400'],
      skipped: [
        {
          titlePath: ['', '', 'x.spec.ts', 'GET /{customer_id}/usage', 'answers 400 for x'],
          reason: undefined,
          declares: [declaredCell('getCustomerUsage', 400)],
        },
      ],
      dir: 'incomplete',
    });
    expect(run.returned).toBeUndefined();
    expect(run.coverage.notEnforcedBecause).toEqual(['1 test(s) did not run']);
  });

  test('against a remote target, simulator-only and opted-out DELETE cells are not required; against the simulator a skip excuses nothing', async () => {
    const deleteSkip = 'DELETE is irreversible: opt in with API_ALLOW_DELETE=1';
    // The titles name no status: the cells a skipped test excuses are the ones it declares.
    const skipped = [200, 401, 404].map((status, i) => ({
      titlePath: ['', '', 'd.spec.ts', 'DELETE /{customer_id}', `deletion test ${i}`],
      reason: deleteSkip,
      declares: [{ type: ownSpecAnnotation, description: 'deleteCustomer' }, declaredCell('deleteCustomer', status)],
    }));
    const unprovoked = new Set(
      allCells.filter(({ op, status }) => op.responses.get(status)?.unprovoked).map(({ op, status }) => `${op.operationId} ${status}`),
    );
    const omit = documentedCells().filter((cell) => (cell.startsWith('deleteCustomer') || cell.endsWith(' 500')) && !unprovoked.has(cell));
    const remote = await feed({ omit, skipped, target: 'remote', dir: 'remote' });
    expect(remote.returned).toBeUndefined();
    const states = Object.fromEntries(remote.coverage.cells.map((c) => [`${c.operation} ${c.status}`, c.state]));
    expect(states).toMatchObject({
      'getCustomer 500': 'simulator-only',
      'deleteCustomer 500': 'simulator-only',
      'deleteCustomer 200': 'skipped',
      'deleteCustomer 401': 'skipped',
      'deleteCustomer 404': 'skipped',
    });
    expect(remote.coverage.cells.find((c) => c.operation === 'deleteCustomer' && c.status === 401)?.reason).toBe(`skipped: ${deleteSkip}`);

    const simulator = await feed({ omit, skipped, dir: 'simulator-skips' });
    expect(simulator.returned, 'every cell is reachable on the simulator').toEqual({ status: 'failed' });
    expect(
      simulator.coverage.cells
        .filter((c) => c.state === 'missing')
        .map((c) => `${c.operation} ${c.status}`)
        .sort(),
    ).toEqual(omit);
  });

  test('a skipped test excuses the cells it declares, whatever its title says; its own spec is quoted first', async () => {
    const skip = (title: string, reason: string, declares: Annotation[]) => ({
      titlePath: ['', '', 'd.spec.ts', 'DELETE /{customer_id}', title],
      reason,
      declares,
    });
    const omit = ['deleteCustomer 401', 'deleteCustomer 404'];
    const run = await feed({
      omit,
      target: 'remote',
      dir: 'declared',
      skipped: [
        // Names 401 and 404 in its title but declares neither: it excuses nothing.
        skip('answers 401 and 404 (declares nothing)', 'title only', []),
        // Declares 404, ahead in suite order, but is not the operation's own spec.
        skip('another spec', 'the other reason', [declaredCell('deleteCustomer', 404)]),
        skip('the own spec', 'the own reason', [{ type: ownSpecAnnotation, description: 'deleteCustomer' }, declaredCell('deleteCustomer', 404)]),
      ],
    });
    const cell = (status: number) => run.coverage.cells.find((c) => c.operation === 'deleteCustomer' && c.status === status);
    expect(cell(401)).toMatchObject({ state: 'missing' });
    expect(cell(404)).toMatchObject({ state: 'skipped', reason: 'skipped: the own reason' });
    expect(run.returned).toEqual({ status: 'failed' });
    expect(run.stdout).toContain('contract coverage: deleteCustomer 401 was never exercised');
  });

  test('a malformed cell declaration is a reporter error that fails the run, not a silent no-op', async () => {
    const run = await feed({
      target: 'remote',
      dir: 'malformed',
      skipped: [{ titlePath: ['', '', 'd.spec.ts', 'x'], reason: 'r', declares: [{ type: cellAnnotation, description: 'deleteCustomer four-oh-four' }] }],
    });
    expect(run.returned).toEqual({ status: 'failed' });
    expect(run.stdout).toContain('a contract-cell annotation must read "operationId status"');
  });
});

test.describe('npm run drift', () => {
  test('runs only read-only checks against a real target, even with DELETE opted in, and writes the reports', async () => {
    const target = await startRecordedSimulator();
    try {
      const byRole = (role: CustomerRole) => customerWithRole(target.state.customers, role);
      const reportsDir = path.join(runsDir, 'drift-tool');
      fs.rmSync(reportsDir, { recursive: true, force: true });
      // Everything a destructive run would need is set: the tool alone must keep DELETE off.
      const env = {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        CONTRACT_REPORTS_DIR: reportsDir,
        ...remoteTargetEnv(target.baseUrl, target.state.customers),
      };
      const run = await spawnDriftTool(env);
      expect(run.exitCode, run.output).toBe(0);
      expect(target.methods.size, 'the target was called').toBeGreaterThan(0);
      expect(
        [...target.methods].filter((m) => m !== 'GET'),
        'only GET reached the target',
      ).toEqual([]);
      expect(target.state.existing(byRole('disposable').id), 'the disposable customer still exists').toBeDefined();

      const drift = readJson(reportsDir, 'drift.json') as DriftReport;
      expect(drift).toMatchObject({ target: 'remote', summary: { breaking: 0, nonBreaking: 0 } });
      const coverage = readJson(reportsDir, 'coverage.json') as CoverageReport;
      expect(coverage).toMatchObject({ target: 'remote', readOnly: true, enforced: true, summary: { missing: 0 } });
      expect(coverage.cells.filter((c) => c.operation === 'deleteCustomer').map((c) => `${c.status} ${c.state}`)).toEqual([
        '200 read-only',
        '401 read-only',
        '403 unprovoked',
        '404 read-only',
        '429 unprovoked',
        '500 read-only',
      ]);
      expect(coverage.cells.filter((c) => c.operation !== 'deleteCustomer' && c.simulatorOnly).map((c) => c.state)).toEqual([
        'simulator-only',
        'simulator-only',
      ]);
      expect(fs.readFileSync(path.join(reportsDir, 'coverage.md'), 'utf8')).toContain('| deleteCustomer `DELETE /{customer_id}` | read-only run |');
      expect(fs.existsSync(path.join(reportsDir, 'drift.md'))).toBe(true);
      expect(run.output).not.toContain(byRole('primary').token);
    } finally {
      await target.stop();
    }
  });

  test('a remote run without the DELETE opt-in reports the DELETE cells as skipped, not missing, and passes', async () => {
    const target = await startRecordedSimulator();
    try {
      const byRole = (role: CustomerRole) => customerWithRole(target.state.customers, role);
      const run = await runGate({
        env: { API_BASE_URL: target.baseUrl, API_CUSTOMER_ID: byRole('primary').id, API_TOKEN: byRole('primary').token },
        reportsDir: path.join(runsDir, 'remote-no-delete'),
      });
      expect(run.exitCode, run.failureText || run.stderr).toBe(0);
      expect([...target.methods]).toEqual(['GET']);
      // requests.json counts what the relay sent: everything the target saw but the one preflight GET before the tests.
      const gets = target.counts.get('GET') ?? 0;
      expect(gets, 'the target saw the preflight and the tests').toBeGreaterThan(1);
      const traffic = readJson(run.reportsDir, 'requests.json') as { busiestMinute: number; generated: number };
      expect(traffic).toEqual({
        target: 'remote',
        requests: gets - 1,
        byMethod: { GET: gets - 1 },
        generated: traffic.generated,
        busiestMinute: traffic.busiestMinute,
      });
      expect(traffic.generated, "the generated phase's share of the requests").toBeGreaterThan(0);
      expect(traffic.generated).toBeLessThan(gets - 1);
      expect(traffic.busiestMinute, 'the busiest minute is within the run and the budget').toBeLessThanOrEqual(Math.min(gets - 1, 150));
      const coverage = readJson(run.reportsDir, 'coverage.json') as CoverageReport;
      const deleteCells = coverage.cells.filter((c) => c.operation === 'deleteCustomer');
      expect(deleteCells.map((c) => `${c.status} ${c.state}`)).toEqual([
        '200 skipped',
        '401 skipped',
        '403 unprovoked',
        '404 skipped',
        '429 unprovoked',
        '500 simulator-only',
      ]);
      expect(deleteCells[0]!.reason).toMatch(/^skipped: DELETE is irreversible/);
      expect(coverage.enforced).toBe(true);
    } finally {
      await target.stop();
    }
  });
});

interface Annotation {
  type: string;
  description?: string;
}

function fakeTest(id: string, titlePath: string[], annotations: Annotation[] = []): TestCase {
  return { id, title: titlePath[titlePath.length - 1] ?? '', titlePath: () => titlePath, annotations } as unknown as TestCase;
}

/** The static annotation a spec declares a cell with (specs/support/intent.ts). */
function declaredCell(operation: string, status: number): Annotation {
  return { type: cellAnnotation, description: `${operation} ${status}` };
}

function fakeResult(status: TestResult['status'], records: ContractRecord[], annotations: Array<{ type: string; description?: string }> = []): TestResult {
  const attachments = records.map((r) => ({ name: recordAttachment, contentType: 'application/json', body: Buffer.from(JSON.stringify(r)) }));
  return { status, attachments, annotations, errors: [] } as unknown as TestResult;
}

/** The simulator behind a recorder of request methods, so a test can prove which methods reached it. */
async function startRecordedSimulator() {
  const state = new SimulatorState({ mode: 'faithful' });
  const methods = new Set<string>();
  const counts = new Map<string, number>();
  const app = express();
  app.use((req, _res, next) => {
    methods.add(req.method);
    counts.set(req.method, (counts.get(req.method) ?? 0) + 1);
    next();
  });
  app.use(createSimulatorApp(state));
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    state,
    methods,
    counts,
    baseUrl: `http://127.0.0.1:${port}${simulatorBasePath}`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** `npm run drift` with exactly these variables (on a clean environment); its stdout and stderr as one text. */
async function spawnDriftTool(env: Record<string, string>): Promise<{ exitCode: number; output: string }> {
  const run = await runProcess(...tsxCommand('tools/drift.ts'), { env });
  return { exitCode: run.code ?? -1, output: `${run.stdout}${run.stderr}` };
}
