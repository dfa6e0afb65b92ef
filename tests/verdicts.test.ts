// Truthful verdicts: the gate against drifting simulators, each run's exit code, headline and first finding, every output agreeing on the counts, and every curl reproducing its finding.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { test, expect } from '@playwright/test';
import type { JSONReport, JSONReportSuite } from '@playwright/test/reporter';
import { countsText, type Finding, type FindingCounts } from '../contract';
import type { TestCounts } from '../reporters/verdict-reports';
import { startSimulator } from '../simulator/server';
import type { SimulatorMode } from '../simulator/modes';
import { artifactTexts } from './helpers/artifacts';
import { writeTableRow } from './helpers/results-table';
import { repoRoot, runGate, sharedGateRun, stripAnsi, type GateRun } from './helpers/run-gate';

const runsDir = path.join(repoRoot, 'reports', 'self-test', 'verdicts');
const run = promisify(execFile);

interface DriftJson {
  verdict: string;
  headline: string;
  strictness: string;
  summary: {
    breaking: number;
    gating: number;
    warnings: number;
    nonBreaking: number;
    breakingByEvidence: FindingCounts['breaking'];
    advisories: number;
    tests: TestCounts;
  };
  findings: Array<Finding & { tests: string[]; count: number; otherEvidence?: Array<Finding['evidence']> }>;
  tests: Array<{ title: string; outcome: string; reason?: string }>;
}

/** One row of the table: a drifting simulator (and strictness), and what the gate must say about it. */
interface VerdictRow {
  name: string;
  mode: SimulatorMode;
  strictness?: 'documented' | 'inferred';
  exit: 0 | 1;
  /** The first line of drift.md. */
  headline: RegExp;
  /** The first finding of drift.json (failing first, then by evidence, operation, status, pointer). */
  first?: { operation: string; status: number; pointer: string; evidence: Finding['evidence']['level']; kind: string; security?: boolean };
  /** More to check on this run. */
  also?: (gate: GateRun, drift: DriftJson) => void;
}

const rows: VerdictRow[] = [
  { name: 'faithful', mode: 'faithful', exit: 0, headline: /^\*\*Contract drift: No drift\*\*/ },
  {
    name: 'a retyped field',
    mode: 'retyped-field',
    exit: 1,
    headline: /^\*\*Contract drift: 2 breaking \(documented\), 0 non-breaking\*\*/,
    first: { operation: 'getCustomer', status: 200, pointer: '/data/users_count', evidence: 'documented', kind: 'type-mismatch' },
    also: (gate, drift) => {
      // A body drift of getCustomer is no failure of the DELETE tests, whose precondition only needs the customer to exist.
      expect(
        drift.tests.filter((t) => t.title.startsWith('DELETE')),
        'no DELETE test fails or is blocked',
      ).toEqual([]);
      expect(gate.failureText).toContain('observed "25" (string)');
    },
  },
  {
    name: 'auth ignored: one DELETE uses the disposable customer up, the rest are blocked by it',
    mode: 'auth-ignored',
    exit: 1,
    // One cause, one finding: "answered 200, expected 401" for no header, an invalid token and a non-Bearer scheme is
    // one finding per operation (documented, seen in 3 tests), not a documented and an inferred one.
    headline: /^\*\*Contract drift: 5 breaking \(documented\), 0 non-breaking\*\*/,
    first: { operation: 'deleteCustomer', status: 200, pointer: '', evidence: 'documented', kind: 'auth', security: true },
    also: (gate, drift) => {
      for (const operation of ['getCustomer', 'getCustomerUsage']) {
        const auth = drift.findings.filter((f) => f.operation === operation && f.kind === 'auth');
        expect(auth, `${operation}: one auth finding`).toHaveLength(1);
        expect(auth[0]).toMatchObject({ status: 200, expectedStatus: 401, count: 3, evidence: { level: 'documented' }, security: true });
        expect(auth[0]?.tests).toHaveLength(3);
        expect(auth[0]?.otherEvidence?.map((e) => e.level)).toEqual(['inferred']);
      }
      expect(stripAnsi(gate.stdout)).toMatch(/✗ getCustomer 200 GET \/cust_abc123 \(status\): answered 200, expected 401.*\(seen 3× in 3 tests\)/);
      const blocked = drift.tests.filter((t) => t.outcome === 'blocked');
      expect(blocked.map((t) => t.title)).toEqual([
        'DELETE /{customer_id} › answers 401 for an invalid token, and deletes nothing',
        'DELETE /{customer_id} › answers 401 for a valid token under a non-Bearer scheme, and deletes nothing',
        'DELETE /{customer_id} › answers the documented 500 error body when the server fails (simulator-only)',
        'DELETE /{customer_id} › deletes the customer for good: 200, then GET answers 404, then a second DELETE answers 404',
      ]);
      for (const t of blocked)
        expect(t.reason).toBe(
          'blocked: the disposable customer is gone: deleteCustomer answered 200 to DELETE /cust_disposable789 without an Authorization header, and deleted it (in "answers 401 without an Authorization header, and deletes nothing")',
        );
      expect(drift.tests.filter((t) => t.outcome === 'failed' && t.title.startsWith('DELETE')).map((t) => t.title)).toEqual([
        'DELETE /{customer_id} › answers 401 without an Authorization header, and deletes nothing',
      ]);
      const coverage = JSON.parse(fs.readFileSync(path.join(gate.reportsDir, 'coverage.json'), 'utf8')) as {
        cells: Array<{ operation: string; status: number; state: string; probedBy: string[] }>;
      };
      const unauthorised = coverage.cells.filter((c) => c.status === 401);
      expect(
        unauthorised.map((c) => `${c.operation} ${c.state} ${c.probedBy.length}`),
        'coverage counts what was sent and answered',
      ).toEqual(['getCustomer probed 3', 'deleteCustomer probed 1', 'getCustomerUsage probed 3']);
    },
  },
  {
    name: 'usage period ignored',
    mode: 'usage-period-ignored',
    exit: 1,
    headline: /^\*\*Contract drift: 3 breaking \(documented\), 2 advisories, 0 non-breaking\*\*/,
    first: { operation: 'getCustomerUsage', status: 200, pointer: '', evidence: 'documented', kind: 'negative-data-accepted' },
  },
  {
    name: 'a cross-tenant read',
    mode: 'cross-tenant',
    exit: 1,
    headline: /^\*\*Contract drift: 2 breaking \(documented\), 0 non-breaking\*\*/,
    first: { operation: 'getCustomer', status: 200, pointer: '', evidence: 'documented', kind: 'cross-tenant', security: true },
  },
  {
    name: 'a DELETE that deletes nothing',
    mode: 'delete-noop',
    exit: 1,
    headline: /^\*\*Contract drift: 1 breaking \(documented\), 0 non-breaking\*\*/,
    first: { operation: 'getCustomer', status: 200, pointer: '', evidence: 'documented', kind: 'use-after-free' },
  },
  {
    name: '403 for 401: not on the page',
    mode: 'auth-403',
    exit: 1,
    headline: /^\*\*Contract drift: 3 breaking \(documented\), 0 non-breaking\*\*/,
    first: { operation: 'deleteCustomer', status: 403, pointer: '', evidence: 'documented', kind: 'status-mismatch' },
  },
  {
    name: 'HTML error pages: not JSON, by inferred rules',
    mode: 'html-errors',
    exit: 1,
    headline: /^\*\*Contract drift: 14 breaking \(inferred\), 6 breaking \(simulator-only\), 0 non-breaking\*\*/,
    first: { operation: 'deleteCustomer', status: 401, pointer: '', evidence: 'inferred', kind: 'content-type-mismatch' },
  },
  {
    name: 'errors as {"error": …}: inferred rules fail the default gate',
    mode: 'error-key',
    exit: 1,
    headline: /^\*\*Contract drift: 14 breaking \(inferred\), 6 breaking \(simulator-only\), 0 non-breaking\*\*/,
    first: { operation: 'deleteCustomer', status: 401, pointer: '/message', evidence: 'inferred', kind: 'missing-required-property' },
    also: (gate) => {
      expect(gate.stdout).toMatch(/Contract gate: FAILED — 14 breaking \(inferred\)/);
    },
  },
  {
    name: 'errors as {"error": …} under CONTRACT_STRICTNESS=documented: warnings, and the gate passes',
    mode: 'error-key',
    strictness: 'documented',
    exit: 0,
    headline: /^\*\*Contract drift: 14 breaking \(inferred\), 6 breaking \(simulator-only\), 0 non-breaking\*\*/,
    first: { operation: 'deleteCustomer', status: 401, pointer: '/message', evidence: 'inferred', kind: 'missing-required-property' },
    also: (gate, drift) => {
      expect(drift.summary.gating).toBe(0);
      expect(drift.summary.warnings).toBe(drift.summary.breaking);
      expect(gate.stdout).toMatch(/Contract gate: PASSED with warnings — 14 breaking \(inferred\)/);
      expect(gate.annotationText).toMatch(
        /breaking \(inferred\) drift, a warning under CONTRACT_STRICTNESS=documented, in getCustomer 401: \/success: missing required property/,
      );
    },
  },
  {
    name: 'fractional minutes: inferred, so the default gate fails',
    mode: 'fractional-minutes',
    exit: 1,
    headline: /^\*\*Contract drift: 1 breaking \(inferred\), 0 non-breaking\*\*/,
    first: { operation: 'getCustomerUsage', status: 200, pointer: '/data/usage/total_minutes', evidence: 'inferred', kind: 'type-mismatch' },
  },
  {
    name: 'fractional minutes under CONTRACT_STRICTNESS=documented: a warning',
    mode: 'fractional-minutes',
    strictness: 'documented',
    exit: 0,
    headline: /^\*\*Contract drift: 1 breaking \(inferred\), 0 non-breaking\*\*/,
    first: { operation: 'getCustomerUsage', status: 200, pointer: '/data/usage/total_minutes', evidence: 'inferred', kind: 'type-mismatch' },
  },
  {
    name: 'rate limited: throttled, which is no drift',
    mode: 'rate-limited',
    exit: 1,
    headline: /^\*\*Contract drift: No drift\*\*/,
    also: (gate, drift) => {
      expect(drift.verdict).toBe('inconclusive');
      // Every test that ran was throttled (the generated phase is off in this table: its tests are skipped).
      expect(drift.summary.tests.throttled).toBe(drift.summary.tests.total - drift.summary.tests.skipped);
      expect(drift.summary.tests.throttled).toBeGreaterThan(20);
      expect(gate.failureText).toMatch(
        /throttled: \w+ answered 429 to (GET|DELETE) \/\S+ after 1 retry, 30 s waited, Retry-After 30: the vendor's rate limit, not drift/,
      );
      expect(gate.failureText).toMatch(/throttled: \w+ answered 429 .* with no retry left in the run's budget/);
    },
  },
];

function read(dir: string, file: string): string {
  return fs.readFileSync(path.join(dir, file), 'utf8');
}

/** Playwright's junit totals. */
function junitTotals(xml: string): { tests: number; failures: number; skipped: number; errors: number } {
  const head = /<testsuites[^>]*>/.exec(xml)?.[0] ?? '';
  const attribute = (name: string): number => Number(new RegExp(`\\b${name}="(\\d+)"`).exec(head)?.[1] ?? NaN);
  return { tests: attribute('tests'), failures: attribute('failures'), skipped: attribute('skipped'), errors: attribute('errors') };
}

/** The message junit gives each failed test case, by test name. */
function junitFailures(xml: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const match of xml.matchAll(/<testcase name="([^"]*)"[^>]*>([\s\S]*?)<\/testcase>/g)) {
    const body = match[2] ?? '';
    if (/<(failure|error)\b/.test(body)) out.set(unescapeXml(match[1] ?? ''), unescapeXml(body));
  }
  return out;
}

function unescapeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/** Every result's worker, from Playwright's JSON report. */
function workerIndexes(results: JSONReport | undefined): number[] {
  const out: number[] = [];
  const visit = (suite: JSONReportSuite): void => {
    for (const spec of suite.specs) for (const t of spec.tests) for (const r of t.results) if (r.status !== 'skipped') out.push(r.workerIndex);
    suite.suites?.forEach(visit);
  };
  results?.suites.forEach(visit);
  return out;
}

/** Checks every output of one run tells the same story. */
function expectAgreement(gate: GateRun, drift: DriftJson, stepSummary: string | undefined): void {
  const dir = gate.reportsDir;
  const counts: FindingCounts = {
    breaking: drift.summary.breakingByEvidence,
    warnings: drift.summary.warnings,
    advisories: drift.summary.advisories,
    nonBreaking: drift.summary.nonBreaking,
  };
  const tests = drift.summary.tests;
  const findingsText = countsText(counts);

  // drift.json against its own findings.
  expect(drift.summary.breaking).toBe(drift.findings.filter((f) => f.severity === 'breaking').length);
  expect(drift.summary.gating).toBe(drift.findings.filter((f) => f.gating).length);

  // drift.md's headline, summary.md, the terminal's last lines and the HTML report's title say the same.
  const driftMd = read(dir, 'drift.md');
  expect(driftMd.split('\n')[0]).toContain(drift.findings.length === 0 ? 'No drift' : findingsText);
  const summary = read(dir, 'summary.md');
  expect(summary).toContain(findingsText);
  expect(summary).toContain(`tests: ${testsOf(tests)}`);
  const terminal = stripAnsi(gate.stdout).trimEnd().split('\n');
  const headlineAt = terminal.findIndex((line) => line === drift.headline);
  expect(headlineAt, `the terminal prints the headline:\n${gate.stdout.slice(-3000)}`).toBeGreaterThan(-1);
  expect(terminal.slice(headlineAt).join('\n'), "the summary is the terminal's last lines").not.toMatch(/^\s+\d+ (passed|failed|skipped)/m);
  expect(terminal[terminal.length - 1]).toContain(`drift: ${findingsText}`);
  if (stepSummary !== undefined) expect(stepSummary).toContain(summary.trim());
  const report = artifactTexts(path.join(dir, 'html')).find((t) => t.file.includes('embedded-zip') && t.file.endsWith('report.json'));
  expect(report, 'the HTML report holds its data').toBeDefined();
  // artifactTexts reads bytes as latin1 (to grep for any byte); the report's JSON is UTF-8.
  const reportJson = Buffer.from(report?.text ?? '{}', 'latin1').toString('utf8');
  expect((JSON.parse(reportJson) as { options?: { title?: string } }).options?.title, 'the HTML report leads with the headline').toBe(drift.headline);

  // junit counts the same tests: failed (findings, throttled, errors) and skipped (blocked and skipped).
  const xml = read(dir, 'junit.xml');
  const junit = junitTotals(xml);
  expect(junit.tests).toBe(tests.total);
  expect(junit.failures + junit.errors, 'junit failures').toBe(tests.failed + tests.throttled + tests.errored);
  expect(junit.skipped, 'junit skipped').toBe(tests.blocked + tests.skipped);
  expect(tests.errored, 'every failure is a finding (or throttled)').toBe(0);
  // Each failed test's junit message is made from the records: it names a finding of drift.json (or the throttle).
  const messages = junitFailures(xml);
  expect(messages.size).toBe(tests.failed + tests.throttled);
  for (const [name, message] of messages) {
    // A finding's own words: its one-line message, or for a status, "answered 200, expected 401" (the message puts the request after it).
    const words = (f: Finding): string => (f.pointer ? f.message.slice(0, 60) : (f.message.replace(/^\(status\): /, '').split(/[:;]/)[0] ?? ''));
    // A finding grouped by cause keeps the grounds of every test's own finding (otherEvidence): a test's message names its own.
    const grounds = (f: DriftJson['findings'][number]): string[] => [f.evidence, ...(f.otherEvidence ?? [])].map((e) => e.level);
    const named = drift.findings.some(
      (f) =>
        f.tests.includes(name) &&
        message.includes(words(f)) &&
        grounds(f).some((level) => message.includes(`[${f.security ? 'SECURITY, ' : ''}${f.severity}, ${level}`)),
    );
    expect(
      named ? /reproduce: curl -sS /.test(message) : /throttled: /.test(message),
      `junit message of ${name} names its finding, its evidence and its reproduction:\n${message.slice(0, 800)}`,
    ).toBe(true);
  }
  // A failing gate keeps its worker: contract verdicts do not make Playwright start a new one.
  expect(new Set(workerIndexes(gate.results)), 'one worker for the whole run').toEqual(new Set([0]));
}

function testsOf(tests: TestCounts): string {
  const parts: string[] = [];
  if (tests.failed > 0) parts.push(`${tests.failed} failed`);
  if (tests.throttled > 0) parts.push(`${tests.throttled} throttled`);
  if (tests.blocked > 0) parts.push(`${tests.blocked} blocked`);
  if (tests.skipped > 0) parts.push(`${tests.skipped} skipped`);
  parts.push(`${tests.passed} passed`);
  return parts.join(', ');
}

/** Runs a finding's curl line against `baseUrl` with the tokens exported, and returns the status of the last answer. */
async function curlStatus(curl: string, env: Record<string, string>): Promise<number> {
  const { stdout } = await run('bash', ['-c', curl], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000 });
  const statuses = [...stdout.matchAll(/^HTTP\/[\d.]+ (\d{3})/gm)].map((m) => Number(m[1]));
  return statuses[statuses.length - 1] ?? 0;
}

test.describe('the verdicts table', () => {
  // One test per row, spread over the workers; each writes its row of reports/self-test/verdicts/verdicts-table.md.
  for (const [position, row] of rows.entries()) {
    const id = `${row.mode}${row.strictness ? `-${row.strictness}` : ''}`;
    test(`${row.name}: exit code, headline, first finding, and junit, drift.md, summary.md, the terminal and the HTML report agree`, async () => {
      test.setTimeout(180_000);
      const dir = path.join(runsDir, id);
      const stepSummaryFile = row.mode === 'retyped-field' ? path.join(runsDir, 'step-summary.md') : undefined;
      if (stepSummaryFile) fs.rmSync(stepSummaryFile, { force: true });
      // Its own run (not shared): CONTRACT_EXAMPLES=0, and GITHUB_STEP_SUMMARY for one row.
      const gate = await runGate({
        env: {
          // The table pins the hand-written specs' verdicts; the generated phase has its own checks (the mutation
          // table and tests/generated-phase.test.ts), and its extra findings would change every count here.
          CONTRACT_EXAMPLES: '0',
          SIMULATOR_MODE: row.mode,
          ...(row.strictness ? { CONTRACT_STRICTNESS: row.strictness } : {}),
          ...(stepSummaryFile ? { GITHUB_STEP_SUMMARY: stepSummaryFile } : {}),
        },
        reportsDir: dir,
      });
      const driftFile = path.join(dir, 'drift.json');
      const drift = fs.existsSync(driftFile) ? (JSON.parse(read(dir, 'drift.json')) as DriftJson) : undefined;
      const driftHeadline = fs.existsSync(path.join(dir, 'drift.md')) ? (read(dir, 'drift.md').split('\n')[0] ?? '') : '(no drift.md)';
      const first = drift?.findings[0];
      await writeTableRow({
        tableFile: path.join(runsDir, 'verdicts-table.md'),
        header: ['| simulator | strictness | exit | drift.md headline | first finding |', '|---|---|---|---|---|'],
        id,
        position,
        row: `| ${row.name} | ${row.strictness ?? 'inferred'} | ${gate.exitCode} | ${driftHeadline.replace(/\*\* \(.*$/, '').replace(/\*\*/g, '')} | ${first ? `${first.operation} ${first.status} ${first.pointer || '(response)'} ${first.evidence.level}` : '—'} |`,
        expectedRows: rows.length,
      });
      expect(gate.exitCode, `exit code\n${gate.stderr.slice(0, 2000)}`).toBe(row.exit);
      expect(drift, 'drift.json').toBeDefined();
      if (!drift) return;
      expect(driftHeadline).toMatch(row.headline);
      if (row.first) {
        expect(first, 'a first finding').toBeDefined();
        expect({
          operation: first?.operation,
          status: first?.status,
          pointer: first?.pointer,
          evidence: first?.evidence.level,
          kind: first?.kind,
          ...(row.first.security ? { security: first?.security } : {}),
        }).toEqual(row.first);
      } else {
        expect(first, 'no finding').toBeUndefined();
      }
      expectAgreement(gate, drift, stepSummaryFile ? fs.readFileSync(stepSummaryFile, 'utf8') : undefined);
      row.also?.(gate, drift);
    });
  }

  // The curls of every breaking mode's findings. The gate runs are the mutation table's (the whole gate, generated phase
  // included, shared within one npm test: helpers/run-gate.ts); each curl against a fresh simulator of the mode.
  const curlModes: SimulatorMode[] = [
    'retyped-field',
    'auth-ignored',
    'cross-tenant',
    'delete-noop',
    'usage-period-ignored',
    'auth-403',
    'error-key',
    'html-errors',
  ];
  for (const mode of curlModes) {
    test(`${mode}: every curl in its findings report reproduces its finding's status against the simulator, with API_TOKEN exported`, async () => {
      test.setTimeout(180_000);
      const tokens = { cust_abc123: 'curl-primary-token-0001', cust_disposable789: 'curl-disposable-token-0002' };
      const gate = await sharedGateRun({ env: { SIMULATOR_MODE: mode } });
      const dir = gate.reportsDir;
      expect(gate.exitCode, `${mode}: ${gate.stderr.slice(0, 500)}`).toBe(1);
      const drift = JSON.parse(read(dir, 'drift.json')) as DriftJson;
      expect(drift.findings.length, mode).toBeGreaterThan(0);
      // The reports print the same reproductions drift.json holds.
      for (const file of ['drift.md', 'summary.md']) {
        const curls = [...read(dir, file).matchAll(/curl -sS [^`\n]+/g)].map((m) => m[0]);
        expect(curls.length, `${mode} ${file} has reproductions`).toBeGreaterThan(0);
        for (const curl of curls)
          expect(
            drift.findings.map((f) => f.curl),
            `${mode} ${file}`,
          ).toContain(curl);
      }
      const misses: string[] = [];
      let checked = 0;
      // Each curl against its own fresh simulator (a DELETE's effect never reaches another curl), four at a time.
      const queue = [...drift.findings];
      await Promise.all(
        [0, 1, 2, 3].map(async () => {
          for (let finding = queue.shift(); finding; finding = queue.shift()) {
            const simulator = await startSimulator({ mode, tokens });
            try {
              const env = { API_BASE_URL: simulator.baseUrl, API_TOKEN: tokens.cust_abc123, API_DELETE_TOKEN: tokens.cust_disposable789 };
              const status = await curlStatus(finding.curl, env);
              checked += 1;
              if (status !== finding.status)
                misses.push(
                  `${mode}: ${finding.operation} ${finding.pointer || '(response)'} ${finding.kind}: curl answered ${status}, the finding says ${finding.status}\n  ${finding.curl}`,
                );
            } finally {
              await simulator.stop();
            }
          }
        }),
      );
      expect(checked, 'every finding was curled').toBe(drift.findings.length);
      expect(misses, misses.join('\n')).toEqual([]);
    });
  }
});

test.describe('fail-safe verdicts', () => {
  test('without the contract reporter (a --reporter override) contract failures are still failures, the ordinary way', async () => {
    const dir = path.join(runsDir, 'reporter-override');
    const gate = await runGate({ env: { SIMULATOR_MODE: 'retyped-field' }, reportsDir: dir, args: ['--reporter=json'] });
    expect(gate.exitCode).toBe(1);
    const results = JSON.parse(gate.stdout) as JSONReport;
    expect(results.stats.unexpected, 'the drifting tests fail').toBeGreaterThanOrEqual(2);
    expect(stripAnsi(gate.stdout)).toContain('observed \\"25\\" (string)');
  });

  test('a CONTRACT_STRICTNESS that is neither value stops the run with one line', async () => {
    const gate = await runGate({ env: { CONTRACT_STRICTNESS: 'loose' }, reportsDir: path.join(runsDir, 'bad-strictness') });
    expect(gate.exitCode).toBe(2);
    expect(gate.stderr.trim()).toBe('error: CONTRACT_STRICTNESS must be documented, inferred or strict, not "loose"');
  });
});
