// Drift and coverage reports from the contract observations the specs attach: reports/drift.{json,md} and reports/coverage.{json,md}.
import fs from 'node:fs';
import path from 'node:path';
import type { FullConfig, FullResult, Reporter, Suite, TestCase, TestResult } from '@playwright/test/reporter';
import { loadContract, type Contract, type DriftFinding } from '../contract';
import { isReadOnlyRun, targetKind } from '../config/target';
import { observationAttachment, type ContractObservation } from '../specs/support/contract-matcher';

interface ContractReporterOptions {
  /** Folder the four report files are written to (the gate's reportsDir). */
  outputDir: string;
  /** Environment the target is read from (API_BASE_URL, CONTRACT_READ_ONLY); default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** One deduplicated drift finding, with the tests that saw it. */
interface AggregatedFinding extends DriftFinding {
  /** Every distinct observed value, when tests saw more than one (e.g. one per customer); `observed` is the first. */
  observedValues?: unknown[];
  tests: string[];
  count: number;
}

/** One observation, with its test's place in the suite so reports do not depend on which worker finished first. */
interface RecordedObservation {
  test: string;
  titlePath: string[];
  order: number;
  observation: ContractObservation;
}

type CellState = 'exercised' | 'missing' | 'skipped' | 'simulator-only' | 'read-only';

/** One operation × documented status of the coverage matrix. */
interface CoverageCell {
  operation: string;
  method: string;
  path: string;
  status: number;
  simulatorOnly: boolean;
  exercised: boolean;
  state: CellState;
  /** Why a cell that was not exercised is not required (or, for `missing`, that it was). */
  reason?: string;
  tests: string[];
}

/** A test that was skipped with a stated reason, and the cells its title names. */
interface SkippedTest {
  title: string;
  titlePath: string[];
  reason: string;
}

/** Methods a read-only run may send; any other operation's cells are `read-only`. */
const safeMethods = new Set(['get', 'head', 'options']);
/** Playwright CLI options that take a value, so the value is not mistaken for a file filter. */
const cliOptionsWithValue = new Set([
  '-c', '--config', '--reporter', '-j', '--workers', '--project', '--retries', '--timeout', '--max-failures', '--output',
  '--repeat-each', '--shard', '-g', '--grep', '--grep-invert', '--global-timeout', '--trace', '--tsconfig', '--test-list',
  '--test-list-invert', '--last-failed-file', '--browser', '--ui-host', '--ui-port', '--update-source-method',
]);
/** Playwright CLI options that run a subset of the suite. */
const cliFilterOptions = new Set(['-g', '--grep', '--grep-invert', '--shard', '--last-failed', '--last-failed-file', '--only-changed', '--test-list', '--test-list-invert']);
const updateSnapshotModes = new Set(['all', 'changed', 'missing', 'none']);

/**
 * Reads every `contract-observation.json` attachment and writes, once the run ends, the deduplicated drift report and the
 * operation × documented-status coverage matrix. A reachable documented response no test exercised fails the run,
 * unless the run was filtered or incomplete.
 */
export default class ContractReporter implements Reporter {
  private readonly outputDir: string;
  private readonly env: Readonly<Record<string, string | undefined>>;
  private config: FullConfig | undefined;
  private suite: Suite | undefined;
  private readonly observations: RecordedObservation[] = [];
  private testOrder = new Map<string, number>();
  private readonly skipped: SkippedTest[] = [];
  /** Tests that were skipped with no reason (max failures, a failed serial neighbour) or interrupted: the run is incomplete. */
  private readonly didNotRun: string[] = [];
  private readonly ended = new Set<string>();
  private readonly readErrors: string[] = [];
  private written = false;

  constructor(options: ContractReporterOptions) {
    if (!options?.outputDir) throw new Error('contract-reporter needs { outputDir }: the folder drift.json and coverage.json go to');
    this.outputDir = path.resolve(options.outputDir);
    this.env = options.env ?? process.env;
  }

  printsToStdio(): boolean {
    return false;
  }

  onBegin(config: FullConfig, suite: Suite): void {
    this.config = config;
    this.suite = suite;
    this.testOrder = new Map(suite.allTests().map((t, index) => [t.id, index]));
  }

  onTestEnd(test: TestCase, result: TestResult): void {
    this.ended.add(test.id);
    const title = testTitle(test);
    for (const attachment of result.attachments) {
      if (attachment.name !== observationAttachment) continue;
      try {
        const text = attachment.body ? attachment.body.toString('utf8') : fs.readFileSync(attachment.path ?? '', 'utf8');
        this.observations.push({ test: title, titlePath: test.titlePath(), order: this.testOrder.get(test.id) ?? this.testOrder.size, observation: parseObservation(JSON.parse(text)) });
      } catch (error) {
        this.readErrors.push(`${title}: cannot read ${observationAttachment} (${error instanceof Error ? error.message : String(error)})`);
      }
    }
    if (result.status === 'interrupted') this.didNotRun.push(title);
    if (result.status !== 'skipped') return;
    const annotations = [...result.annotations, ...test.annotations];
    const reason = annotations.find((a) => a.type === 'skip' && a.description)?.description;
    if (reason) this.skipped.push({ title: test.title, titlePath: test.titlePath(), reason });
    // test.fixme() and a bare test.skip() are deliberate but unexplained: they excuse nothing, yet the run is complete.
    else if (!annotations.some((a) => a.type === 'skip' || a.type === 'fixme')) this.didNotRun.push(title);
  }

  async onEnd(result: FullResult): Promise<{ status?: FullResult['status'] } | undefined> {
    if (this.written || !this.config || !this.suite) return undefined;
    this.written = true;
    if (this.ended.size === 0) return undefined;
    const contract = loadContract();
    const target = targetKind(this.env);
    const readOnly = isReadOnlyRun(this.env);
    const generatedAt = new Date().toISOString();

    const findings = aggregateFindings(contract, this.observations);
    const breaking = findings.filter((f) => f.severity === 'breaking').length;
    const nonBreaking = findings.length - breaking;
    const drift = { target, generatedAt, summary: { breaking, nonBreaking }, findings };

    const cells = coverageCells(contract, this.observations, this.skipped, target, readOnly);
    const notEnforced = [...filterReasons(this.config), ...this.incompleteReasons(result)];
    const missing = cells.filter((c) => c.state === 'missing');
    const required = cells.filter((c) => c.state === 'exercised' || c.state === 'missing');
    const coverage = {
      target,
      readOnly,
      generatedAt,
      enforced: notEnforced.length === 0,
      notEnforcedBecause: notEnforced,
      summary: {
        documented: cells.length,
        required: required.length,
        exercised: cells.filter((c) => c.exercised).length,
        missing: missing.length,
        notRequired: cells.length - required.length,
      },
      cells,
    };

    fs.mkdirSync(this.outputDir, { recursive: true });
    writeWhole(path.join(this.outputDir, 'drift.json'), `${JSON.stringify(drift, null, 2)}\n`);
    writeWhole(path.join(this.outputDir, 'drift.md'), driftMarkdown(target, readOnly, generatedAt, findings));
    writeWhole(path.join(this.outputDir, 'coverage.json'), `${JSON.stringify(coverage, null, 2)}\n`);
    writeWhole(path.join(this.outputDir, 'coverage.md'), coverageMarkdown(target, readOnly, generatedAt, cells, notEnforced));

    const driftFile = displayPath(path.join(this.outputDir, 'drift.md'));
    const exercisedRequired = required.filter((c) => c.exercised).length;
    const notRequired = cells.length - required.length;
    const coverageText = `contract coverage ${exercisedRequired}/${required.length}${notRequired > 0 ? ` (+${notRequired} not required)` : ''}${notEnforced.length > 0 ? ` (not enforced: ${notEnforced.join('; ')})` : ''}`;
    const lines: string[] = [];
    for (const error of this.readErrors) lines.push(`contract reporter: ${error}`);
    const failsCoverage = missing.length > 0 && notEnforced.length === 0;
    if (failsCoverage) {
      const names = missing.map((c) => `${c.operation} ${c.status}`);
      lines.push(`contract coverage: ${joinNames(names)} ${names.length === 1 ? 'was' : 'were'} never exercised (see ${displayPath(path.join(this.outputDir, 'coverage.md'))})`);
    }
    lines.push(`${coverageText} · drift: ${breaking} breaking, ${nonBreaking} non-breaking → ${driftFile}`);
    process.stdout.write(`\n${lines.join('\n')}\n`);
    return failsCoverage || this.readErrors.length > 0 ? { status: 'failed' } : undefined;
  }

  /** Why this run cannot prove coverage: it stopped early or some tests never ran. */
  private incompleteReasons(result: FullResult): string[] {
    const reasons: string[] = [];
    if (result.status === 'interrupted' || result.status === 'timedout') reasons.push(`the run was ${result.status}`);
    const neverEnded = (this.suite?.allTests() ?? []).filter((t) => !this.ended.has(t.id)).length;
    const unrun = neverEnded + this.didNotRun.length;
    if (unrun > 0) reasons.push(`${unrun} test(s) did not run`);
    return reasons;
  }
}

/** The observation as the matcher wrote it; anything else is a bug worth a loud failure, not a silent gap. */
function parseObservation(value: unknown): ContractObservation {
  const o = value as Partial<ContractObservation> | null;
  if (!o || typeof o.operation !== 'string' || typeof o.status !== 'number' || typeof o.expectedStatus !== 'number' || !Array.isArray(o.findings)) {
    throw new Error('not a ContractObservation');
  }
  return o as ContractObservation;
}

/** The describe chain and test title: titlePath() is [root, project, file, ...describes, title]. */
function testTitle(test: TestCase): string {
  const chain = test.titlePath().slice(3).filter(Boolean);
  return chain.length > 0 ? chain.join(' › ') : test.title;
}

function aggregateFindings(contract: Contract, observations: ReadonlyArray<RecordedObservation>): AggregatedFinding[] {
  const byKey = new Map<string, AggregatedFinding>();
  // The operation's own spec first (its `observed` is the primary customer's value), then suite order: stable whatever the workers did.
  const ownSpec = (o: RecordedObservation): number => (o.titlePath.includes(describeTitleOf(contract, o.observation.operation)) ? 0 : 1);
  const ordered = [...observations].sort((a, b) => ownSpec(a) - ownSpec(b) || a.order - b.order);
  for (const { test, observation } of ordered) {
    for (const finding of observation.findings) {
      const key = JSON.stringify([finding.operation, finding.status, finding.path, finding.kind]);
      const seen = byKey.get(key);
      if (seen) {
        seen.count += 1;
        if (!seen.tests.includes(test)) seen.tests.push(test);
        const values = seen.observedValues ?? [seen.observed];
        if (!values.some((v) => JSON.stringify(v) === JSON.stringify(finding.observed))) seen.observedValues = [...values, finding.observed];
      } else {
        const { operation, status, path: pointer, kind, severity, expected, observed, message } = finding;
        byKey.set(key, { operation, status, path: pointer, kind, severity, expected, observed, message, tests: [test], count: 1 });
      }
    }
  }
  const rank = (f: AggregatedFinding): number => (f.severity === 'breaking' ? 0 : 1);
  return [...byKey.values()].sort(
    (a, b) => rank(a) - rank(b) || a.operation.localeCompare(b.operation) || a.status - b.status || a.path.localeCompare(b.path) || a.kind.localeCompare(b.kind),
  );
}

function coverageCells(
  contract: Contract,
  observations: ReadonlyArray<RecordedObservation>,
  skipped: ReadonlyArray<SkippedTest>,
  target: 'simulator' | 'remote',
  readOnly: boolean,
): CoverageCell[] {
  const cells: CoverageCell[] = [];
  for (const operation of contract.operations.values()) {
    const describeTitle = `${operation.method.toUpperCase()} ${operation.path}`;
    for (const response of [...operation.responses.values()].sort((a, b) => a.status - b.status)) {
      const tests = [...new Set(observations.filter(({ observation: o }) => o.operation === operation.operationId && o.status === response.status).map((o) => o.test))];
      const cell: CoverageCell = {
        operation: operation.operationId,
        method: operation.method.toUpperCase(),
        path: operation.path,
        status: response.status,
        simulatorOnly: response.simulatorOnly,
        exercised: tests.length > 0,
        state: 'exercised',
        tests,
      };
      // A skipped test excuses the cells its title names ("answers 404 …") under its operation's describe ("DELETE /{customer_id}").
      const skip = skipped.find((s) => s.titlePath.includes(describeTitle) && statusesNamedIn(s.title).includes(response.status));
      if (cell.exercised) cell.state = 'exercised';
      else if (readOnly && !safeMethods.has(operation.method)) Object.assign(cell, { state: 'read-only', reason: `read-only run: ${cell.method} is never sent` });
      else if (target === 'remote' && response.simulatorOnly) Object.assign(cell, { state: 'simulator-only', reason: 'x-simulator-only: cannot be provoked on a real target, not required' });
      // Against the simulator every cell is reachable, so only a real target (or a read-only run) may skip one.
      else if (skip && (target === 'remote' || readOnly)) Object.assign(cell, { state: 'skipped', reason: `skipped: ${skip.reason}` });
      else Object.assign(cell, { state: 'missing', reason: 'documented and reachable, but no test observed it' });
      cells.push(cell);
    }
  }
  return cells;
}

/** The describe title specs use for an operation ("GET /{customer_id}"); empty when the contract has no such operation. */
function describeTitleOf(contract: Contract, operationId: string): string {
  const operation = contract.operations.get(operationId);
  return operation ? `${operation.method.toUpperCase()} ${operation.path}` : '';
}

function statusesNamedIn(title: string): number[] {
  return [...title.matchAll(/\b([1-5]\d\d)\b/g)].map((m) => Number(m[1]));
}

/** Why the run was a subset of the suite, from the config and the runner's command line; empty for a full run. */
function filterReasons(config: FullConfig): string[] {
  const reasons: string[] = [];
  if (config.shard) reasons.push(`--shard ${config.shard.current}/${config.shard.total}`);
  for (const project of config.projects) {
    const greps = Array.isArray(project.grep) ? project.grep : [project.grep];
    if (greps.some((g) => g.source !== '.*')) reasons.push('grep in the config');
    // A merged (sharded) run's projects come back from the blobs with grepInvert as [] rather than null.
    const inverts = Array.isArray(project.grepInvert) ? project.grepInvert : project.grepInvert ? [project.grepInvert] : [];
    if (inverts.length > 0) reasons.push('grepInvert in the config');
  }
  const argv = config.argv ?? [];
  const start = argv.indexOf('test', 2);
  if (start < 0) return reasons;
  for (let i = start + 1; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') break;
    if (!token.startsWith('-')) {
      reasons.push(`file filter ${token}`);
      continue;
    }
    const name = token.split('=')[0]!;
    if (cliFilterOptions.has(name)) reasons.push(name);
    if (token.includes('=')) continue;
    if (cliOptionsWithValue.has(name)) i += 1;
    else if ((name === '-u' || name === '--update-snapshots') && updateSnapshotModes.has(argv[i + 1] ?? '')) i += 1;
  }
  return [...new Set(reasons)];
}

function driftMarkdown(target: string, readOnly: boolean, generatedAt: string, findings: ReadonlyArray<AggregatedFinding>): string {
  const breaking = findings.filter((f) => f.severity === 'breaking');
  const nonBreaking = findings.filter((f) => f.severity === 'non-breaking');
  const verdict = findings.length === 0 ? 'No drift' : `${breaking.length} breaking, ${nonBreaking.length} non-breaking finding(s)`;
  const lines = [`**Contract drift: ${verdict}** (${targetText(target, readOnly)}, ${generatedAt})`, ''];
  const table = (title: string, rows: ReadonlyArray<AggregatedFinding>): void => {
    if (rows.length === 0) return;
    lines.push(`### ${title}`, '', '| operation | status | path | kind | expected | observed | seen |', '|---|---|---|---|---|---|---|');
    for (const f of rows) {
      lines.push(`| ${f.operation} | ${f.status} | ${code(f.path || '(response)')} | ${f.kind} | ${code(show(f.expected))} | ${code(show(f.observed))}${f.observedValues ? ` (${f.observedValues.length - 1} other value(s), see drift.json)` : ''} | ${f.count}× in ${f.tests.length} test(s) |`);
    }
    lines.push('');
  };
  table('Breaking', breaking);
  table('Non-breaking (the gate passes; the API added something the contract does not document)', nonBreaking);
  return `${lines.join('\n').trimEnd()}\n`;
}

function coverageMarkdown(target: string, readOnly: boolean, generatedAt: string, cells: ReadonlyArray<CoverageCell>, notEnforced: ReadonlyArray<string>): string {
  const required = cells.filter((c) => c.state === 'exercised' || c.state === 'missing');
  const missing = cells.filter((c) => c.state === 'missing');
  const verdict = missing.length === 0 ? 'complete' : notEnforced.length > 0 ? `${missing.length} cell(s) not exercised, not enforced (${notEnforced.join('; ')})` : `${missing.length} cell(s) never exercised`;
  const statuses = [...new Set(cells.map((c) => c.status))].sort((a, b) => a - b);
  const operations = [...new Set(cells.map((c) => c.operation))];
  const lines = [
    `**Contract coverage ${required.filter((c) => c.exercised).length}/${required.length}: ${verdict}** (${targetText(target, readOnly)}, ${generatedAt})`,
    '',
    `| operation | ${statuses.join(' | ')} |`,
    `|---|${statuses.map(() => '---').join('|')}|`,
  ];
  const label: Record<CellState, (c: CoverageCell) => string> = {
    exercised: (c) => `exercised (${c.tests.length})`,
    missing: () => '**MISSING**',
    skipped: () => 'skipped',
    'simulator-only': () => 'simulator-only',
    'read-only': () => 'read-only run',
  };
  for (const operation of operations) {
    const row = cells.filter((c) => c.operation === operation);
    const first = row[0];
    const heading = first ? `${operation} ${code(`${first.method} ${first.path}`)}` : operation;
    lines.push(`| ${heading} | ${statuses.map((s) => { const c = row.find((r) => r.status === s); return c ? label[c.state](c) : ''; }).join(' | ')} |`);
  }
  lines.push('', 'Cells: exercised (number of tests) · **MISSING** documented and reachable, never exercised · skipped (by a stated reason) · simulator-only (x-simulator-only, not required against a real target) · read-only run · blank: not documented.');
  const unexercised = cells.filter((c) => !c.exercised);
  if (unexercised.length > 0) {
    lines.push('', '### Not exercised', '', '| operation | status | state | reason |', '|---|---|---|---|');
    for (const c of unexercised) lines.push(`| ${c.operation} | ${c.status} | ${c.state} | ${escapeCell(c.reason ?? '')} |`);
  }
  return `${lines.join('\n')}\n`;
}

function targetText(target: string, readOnly: boolean): string {
  return `${target === 'remote' ? 'remote target' : 'simulator'}${readOnly ? ', read-only run' : ''}`;
}

function show(value: unknown): string {
  return value === undefined ? 'nothing' : (JSON.stringify(value) ?? String(value));
}

/** A markdown code span safe inside a table cell: vendor data cannot inject markup or break the row. */
function code(text: string): string {
  const fence = text.includes('`') ? '``' : '`';
  const pad = fence.length > 1 ? ' ' : '';
  return `${fence}${pad}${text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|')}${pad}${fence}`;
}

function escapeCell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/([\\`*_[\]<>|])/g, '\\$1');
}

function joinNames(names: ReadonlyArray<string>): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** Relative to the working directory when inside it, else absolute. */
function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

/** Writes next to the destination, then renames: a reader never sees half a report. */
function writeWhole(file: string, text: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, text);
  fs.renameSync(temporary, file);
}
