// The contract reporter: reads the records the specs attach, restores contract verdicts as failures, and writes drift, coverage and summary reports from those records.
import fs from 'node:fs';
import path from 'node:path';
import type { FullConfig, FullResult, Reporter, Suite, TestCase, TestResult } from '@playwright/test/reporter';
import type { AcceptedFindings } from '../config/accepted-findings';
import {
  clip,
  defaultLineLimit,
  loadContractOutline,
  logFileText,
  parseRecord,
  recordAttachment,
  verdictAnnotation,
  verdictReporterVariable,
  type ContractOutline,
  type ContractRecord,
  type Finding,
  type RunFacts,
  type Strictness,
} from '../contract';
import { acceptanceFor } from './accepted-findings';
import {
  code,
  describeTitleOf,
  driftMarkdown,
  escapeCell,
  headline,
  isAccepted,
  runVerdict,
  summaryMarkdown,
  terminalSummary,
  type RunVerdict,
  type TestVerdict,
} from './verdict-reports';

interface ContractReporterOptions {
  /** Folder the reports are written to (the gate's reportsDir). */
  outputDir: string;
  /** The run's CONTRACT_STRICTNESS, for a run with no record to say it; records carry their own. */
  strictness?: Strictness;
  /** A file the summary is appended to as well ($GITHUB_STEP_SUMMARY, which the config passes when it is set). */
  stepSummaryFile?: string;
  /** The junit reporter's output file: once every reporter has written, its lines are made safe for a CI log and a strict XML parser. */
  junitFile?: string;
  /** Whether to set the HTML report's title to the headline (the HTML reporter reads PLAYWRIGHT_HTML_TITLE when it writes); default true. */
  htmlTitle?: boolean;
  /** The accepted findings (CONTRACT_ACCEPTED_FINDINGS, read and checked by the config): a covered finding is a warning until it expires. */
  acceptedFindings?: AcceptedFindings;
  /** "Today" for expiry, as an ISO date-time (tests); default the clock. */
  now?: string;
}

type CellState = 'exercised' | 'probed' | 'missing' | 'blocked' | 'throttled' | 'skipped' | 'simulator-only' | 'read-only' | 'unprovoked';

/** One operation × documented status of the coverage matrix. */
interface CoverageCell {
  operation: string;
  method: string;
  path: string;
  status: number;
  simulatorOnly: boolean;
  unprovoked: boolean;
  /** Some exchange was answered with this status (whatever its test's outcome). */
  exercised: boolean;
  state: CellState;
  /** Why a cell that was not answered is covered, excused or missing. */
  reason?: string;
  /** Tests with an exchange answered with this status. */
  tests: string[];
  /** Tests that sent a request expecting this status. */
  probedBy: string[];
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
  '-c',
  '--config',
  '--reporter',
  '-j',
  '--workers',
  '--project',
  '--retries',
  '--timeout',
  '--max-failures',
  '--output',
  '--repeat-each',
  '--shard',
  '-g',
  '--grep',
  '--grep-invert',
  '--global-timeout',
  '--trace',
  '--tsconfig',
  '--test-list',
  '--test-list-invert',
  '--last-failed-file',
  '--browser',
  '--ui-host',
  '--ui-port',
  '--update-source-method',
]);
/** Playwright CLI options that run a subset of the suite. */
const cliFilterOptions = new Set([
  '-g',
  '--grep',
  '--grep-invert',
  '--shard',
  '--last-failed',
  '--last-failed-file',
  '--only-changed',
  '--test-list',
  '--test-list-invert',
]);
const updateSnapshotModes = new Set(['all', 'changed', 'missing', 'none']);
/** The description the specs give `testInfo.fail()` for a contract verdict (specs/support/verdicts.ts). */
const verdictFailPrefix = 'a contract verdict';

/**
 * Listed first in the gate's reporters. For each test it reads the `contract-record.json` attachments and turns a
 * contract verdict the worker failed as *expected* (to keep the worker) back into the failure it is, before any other
 * reporter sees the test. At the end it writes drift.json/md, coverage.json/md and summary.md from the records, sets
 * the HTML report's title to the headline, and prints the summary as the terminal's last lines. A reachable documented
 * response no test sent a request for fails the run, unless the run was filtered or incomplete.
 */
export default class ContractReporter implements Reporter {
  private readonly outputDir: string;
  private readonly options: ContractReporterOptions;
  private config: FullConfig | undefined;
  private suite: Suite | undefined;
  private testOrder = new Map<string, number>();
  private readonly verdicts = new Map<string, TestVerdict>();
  private readonly skipped: SkippedTest[] = [];
  /** Tests that were skipped with no reason (max failures, a failed serial neighbour) or interrupted: the run is incomplete. */
  private readonly didNotRun: string[] = [];
  private readonly ended = new Set<string>();
  private readonly readErrors: string[] = [];
  private written = false;
  private terminal: string | undefined;

  constructor(options: ContractReporterOptions) {
    if (!options.outputDir) throw new Error('contract-reporter needs { outputDir }: the folder drift.json and coverage.json go to');
    this.outputDir = path.resolve(options.outputDir);
    this.options = options;
  }

  printsToStdio(): boolean {
    return false;
  }

  onBegin(config: FullConfig, suite: Suite): void {
    this.config = config;
    this.suite = suite;
    this.testOrder = new Map(suite.allTests().map((t, index) => [t.id, index]));
    // Workers are started after this and inherit it: only a worker of this runner, with this reporter listening, fails a
    // contract verdict as an expected failure (which keeps the worker); everyone else fails tests the ordinary way.
    process.env[verdictReporterVariable] = String(process.pid);
  }

  onTestEnd(test: TestCase, result: TestResult): void {
    this.ended.add(test.id);
    const title = testTitle(test);
    const records: ContractRecord[] = [];
    for (const attachment of result.attachments) {
      if (attachment.name !== recordAttachment) continue;
      try {
        const text = attachment.body ? attachment.body.toString('utf8') : fs.readFileSync(attachment.path ?? '', 'utf8');
        records.push(parseRecord(JSON.parse(text)));
      } catch (error) {
        this.readErrors.push(`${title}: cannot read ${recordAttachment} (${error instanceof Error ? error.message : String(error)})`);
      }
    }
    const verdict = result.annotations.find((a) => a.type === verdictAnnotation)?.description;
    // A contract failure whose every failing finding an unexpired acceptance covers stays the expected failure the worker
    // made it: the test passes (with the acceptance noted), and the run's reports list the finding as accepted.
    const accepted = verdict === 'failed' && this.allAccepted(records);
    if (accepted)
      result.annotations.push({ type: 'contract-accepted', description: `every failing finding is accepted (${this.options.acceptedFindings?.file ?? ''})` });
    else restoreFailure(test, result, verdict);
    this.verdicts.set(test.id, {
      title,
      titlePath: test.titlePath(),
      order: this.testOrder.get(test.id) ?? this.testOrder.size,
      records,
      ...(accepted ? { outcome: 'passed' as const } : outcomeOf(test, result, verdict)),
    });

    if (result.status === 'interrupted') this.didNotRun.push(title);
    if (result.status !== 'skipped') return;
    const annotations = [...result.annotations, ...test.annotations];
    const reason = annotations.find((a) => a.type === 'skip' && a.description)?.description;
    if (reason) this.skipped.push({ title: test.title, titlePath: test.titlePath(), reason });
    // test.fixme() and a bare test.skip() are deliberate but unexplained: they excuse nothing, yet the run is complete.
    else if (!annotations.some((a) => a.type === 'skip' || a.type === 'fixme')) this.didNotRun.push(title);
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- Playwright's Reporter type takes a status only from a Promise
  async onEnd(result: FullResult): Promise<{ status?: FullResult['status'] } | undefined> {
    if (this.written || !this.config || !this.suite) return undefined;
    this.written = true;
    if (this.ended.size === 0) return undefined;
    const contract = loadContractOutline();
    const generatedAt = new Date().toISOString();
    const verdicts = [...this.verdicts.values()].sort((a, b) => a.order - b.order);
    const fallback: RunFacts = { target: 'simulator', readOnly: false, strictness: this.options.strictness ?? 'inferred' };
    const verdict = runVerdict(contract, verdicts, fallback, this.options.acceptedFindings, this.now());

    // A throttled test sent nothing (or nothing judged) for the cells its title names: like a blocked one, it excuses them.
    const throttled = verdicts
      .filter((v) => v.outcome === 'throttled')
      .map((v) => ({ title: v.titlePath[v.titlePath.length - 1] ?? v.title, titlePath: v.titlePath, reason: v.reason ?? 'throttled' }));
    const cells = coverageCells(contract, verdicts, [...this.skipped, ...throttled], verdict.facts);
    const notEnforced = [...filterReasons(this.config), ...this.incompleteReasons(result)];
    const missing = cells.filter((c) => c.state === 'missing');
    const required = cells.filter((c) => c.state === 'exercised' || c.state === 'probed' || c.state === 'missing');
    const covered = required.filter((c) => c.state !== 'missing');
    const coverage = {
      target: verdict.facts.target,
      readOnly: verdict.facts.readOnly,
      generatedAt,
      enforced: notEnforced.length === 0,
      notEnforcedBecause: notEnforced,
      summary: {
        documented: cells.length,
        required: required.length,
        exercised: cells.filter((c) => c.exercised).length,
        probed: cells.filter((c) => c.state === 'probed').length,
        missing: missing.length,
        notRequired: cells.length - required.length,
      },
      cells,
    };
    const coverageLine = `contract coverage ${covered.length}/${required.length}${notEnforced.length > 0 ? ` (not enforced: ${notEnforced.join('; ')})` : ''}`;
    const drift = {
      target: verdict.facts.target,
      readOnly: verdict.facts.readOnly,
      strictness: verdict.facts.strictness,
      generatedAt,
      verdict: verdict.state,
      headline: headline(verdict),
      summary: {
        breaking: verdict.findings.filter((f) => f.severity === 'breaking').length,
        breakingByEvidence: verdict.counts.breaking,
        advisories: verdict.counts.advisories,
        gating: verdict.findings.filter((f) => f.gating).length,
        warnings: verdict.findings.filter((f) => f.severity === 'breaking' && !f.gating && !isAccepted(f)).length,
        accepted: verdict.findings.filter(isAccepted).length,
        acceptanceExpired: verdict.findings.filter((f) => f.acceptance?.expired).length,
        nonBreaking: verdict.counts.nonBreaking,
        tests: verdict.tests,
      },
      acceptedFindings: { file: verdict.acceptances.file, entries: verdict.acceptances.entries, stale: verdict.acceptances.stale },
      findings: verdict.findings,
      // Findings of a kind beyond the per-run bound: counted, not listed.
      omitted: verdict.omitted,
      tests: verdicts.filter((v) => v.outcome !== 'passed').map((v) => ({ title: v.title, outcome: v.outcome, ...(v.reason ? { reason: v.reason } : {}) })),
    };

    const files = {
      drift: path.join(this.outputDir, 'drift.md'),
      summary: path.join(this.outputDir, 'summary.md'),
      coverage: path.join(this.outputDir, 'coverage.md'),
    };
    const summary = summaryMarkdown(verdict, verdicts, coverageLine, generatedAt);
    fs.mkdirSync(this.outputDir, { recursive: true });
    writeWhole(path.join(this.outputDir, 'drift.json'), `${JSON.stringify(drift, null, 2)}\n`);
    writeWhole(files.drift, driftMarkdown(verdict, generatedAt));
    writeWhole(path.join(this.outputDir, 'coverage.json'), `${JSON.stringify(coverage, null, 2)}\n`);
    writeWhole(files.coverage, coverageMarkdown(verdict, generatedAt, cells, notEnforced));
    writeWhole(files.summary, summary);
    if (this.options.stepSummaryFile) appendStepSummary(this.options.stepSummaryFile, summary, headline(verdict));
    // The HTML reporter, listed after this one, reads its title when it writes: the headline is the first thing it shows.
    if (this.options.htmlTitle !== false) process.env.PLAYWRIGHT_HTML_TITLE = headline(verdict);

    const lines: string[] = [];
    for (const error of this.readErrors) lines.push(`contract reporter: ${error}`);
    const failsCoverage = missing.length > 0 && notEnforced.length === 0;
    if (failsCoverage) {
      const names = missing.map((c) => `${c.operation} ${c.status}`);
      lines.push(`contract coverage: ${joinNames(names)} ${names.length === 1 ? 'was' : 'were'} never exercised (see ${displayPath(files.coverage)})`);
    }
    this.terminal = terminalSummary(verdict, verdicts, { drift: displayPath(files.drift), summary: displayPath(files.summary) }, coverageLine, lines);
    return failsCoverage || this.readErrors.length > 0 ? { status: 'failed' } : undefined;
  }

  /** The summary goes last, after every reporter's own end-of-run output: it is what people read. */
  onExit(): Promise<void> {
    // Every reporter's onEnd has run by now, so junit.xml is written: the last word on what a CI test tab and log get.
    if (this.options.junitFile) makeLogSafe(this.options.junitFile);
    if (this.terminal) process.stdout.write(this.terminal);
    return Promise.resolve();
  }

  /** Whether the test failed only on findings an unexpired acceptance covers. */
  private allAccepted(records: readonly ContractRecord[]): boolean {
    const entries = this.options.acceptedFindings?.entries ?? [];
    if (entries.length === 0) return false;
    const failing: Finding[] = records.filter((r) => r.role === 'claim' && r.outcome === 'failed').flatMap((r) => r.findings.filter((f) => f.gating));
    // A failed record without a gating finding (a precondition, a crash) is nothing an acceptance can cover.
    if (failing.length === 0 || records.some((r) => r.outcome === 'failed' && !r.findings.some((f) => f.gating))) return false;
    const now = this.now();
    return failing.every((finding) => acceptanceFor(finding, entries, now)?.expired === false);
  }

  private now(): Date {
    return this.options.now ? new Date(this.options.now) : new Date();
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

/**
 * A contract verdict the worker failed as expected (it called testInfo.fail() so Playwright would keep the worker) is a
 * failure: the test is expected to pass again, and the marker annotation goes. Nothing else is touched: a test a
 * developer marked test.fail() keeps its own expectation.
 */
function restoreFailure(test: TestCase, result: TestResult, verdict: string | undefined): void {
  if (verdict === undefined || test.expectedStatus !== 'failed' || result.status !== 'failed') return;
  const ours = (a: { type: string; description?: string }): boolean => a.type === 'fail' && (a.description ?? '').startsWith(verdictFailPrefix);
  if (![...result.annotations, ...test.annotations].some(ours)) return;
  result.annotations = result.annotations.filter((a) => !ours(a));
  test.annotations = test.annotations.filter((a) => !ours(a));
  if ([...result.annotations, ...test.annotations].some((a) => a.type === 'fail')) return;
  test.expectedStatus = 'passed';
}

/** What became of a test, in the report's words. */
function outcomeOf(test: TestCase, result: TestResult, verdict: string | undefined): Pick<TestVerdict, 'outcome' | 'reason'> {
  const firstError =
    (result.errors[0]?.message ?? '')
      .replace(/\u001b\[[0-9;]*m/g, '')
      .split('\n')
      .find((line) => line.trim()) ?? '';
  switch (result.status) {
    case 'passed':
      return { outcome: 'passed' };
    case 'skipped': {
      // A describe-level skip's reason is on the test, a test-level one on the result.
      const reason = [...result.annotations, ...test.annotations].find((a) => a.type === 'skip' && a.description)?.description;
      return verdict?.startsWith('blocked') ? { outcome: 'blocked', reason: verdict } : { outcome: 'skipped', ...(reason ? { reason } : {}) };
    }
    case 'interrupted':
      return { outcome: 'interrupted' };
    default:
      if (verdict?.startsWith('throttled')) return { outcome: 'throttled', reason: verdict };
      if (verdict === 'failed') return { outcome: 'failed' };
      return { outcome: 'errored', reason: clip(`${result.status}: ${firstError}`.trim(), defaultLineLimit) };
  }
}

/** The describe chain and test title: titlePath() is [root, project, file, ...describes, title]. */
function testTitle(test: TestCase): string {
  const chain = test.titlePath().slice(3).filter(Boolean);
  return chain.length > 0 ? chain.join(' › ') : test.title;
}

function coverageCells(contract: ContractOutline, verdicts: readonly TestVerdict[], skipped: readonly SkippedTest[], facts: RunFacts): CoverageCell[] {
  const cells: CoverageCell[] = [];
  const exchanges = verdicts.flatMap((v) => v.records.map((record) => ({ test: v.title, record })));
  for (const operation of contract.operations.values()) {
    const describeTitle = describeTitleOf(contract, operation.operationId);
    for (const response of [...operation.responses.values()].sort((a, b) => a.status - b.status)) {
      const mine = exchanges.filter(({ record }) => record.operation === operation.operationId);
      const tests = [...new Set(mine.filter(({ record }) => record.status === response.status).map(({ test }) => test))];
      const probedBy = [...new Set(mine.filter(({ record }) => record.expectedStatus === response.status && record.status !== 0).map(({ test }) => test))];
      const cell: CoverageCell = {
        operation: operation.operationId,
        method: operation.method.toUpperCase(),
        path: operation.path,
        status: response.status,
        simulatorOnly: response.simulatorOnly,
        unprovoked: response.unprovoked,
        exercised: tests.length > 0,
        state: 'exercised',
        tests,
        probedBy,
      };
      // A skipped test excuses the cells its title names ("answers 404 …") under its operation's describe ("DELETE /{customer_id}").
      const skip = skipped.find((s) => s.titlePath.includes(describeTitle) && statusesNamedIn(s.title).includes(response.status));
      const answers = [...new Set(mine.filter(({ record }) => record.expectedStatus === response.status).map(({ record }) => record.status))];
      if (cell.exercised) cell.state = 'exercised';
      else if (probedBy.length > 0)
        Object.assign(cell, {
          state: 'probed',
          reason: `${probedBy.length} test(s) sent a request expecting it; answered ${answers.join(', ')} instead (see drift.md)`,
        });
      else if (response.unprovoked)
        Object.assign(cell, { state: 'unprovoked', reason: 'x-unprovoked: no test provokes it; judged whenever a target answers it' });
      else if (facts.readOnly && !safeMethods.has(operation.method))
        Object.assign(cell, { state: 'read-only', reason: `read-only run: ${cell.method} is never sent` });
      else if (facts.target === 'remote' && response.simulatorOnly)
        Object.assign(cell, { state: 'simulator-only', reason: 'x-simulator-only: cannot be provoked on a real target, not required' });
      // A blocked or throttled test sent nothing for its cell: a precondition broke (its finding says why), or the rate limit.
      else if (skip?.reason.startsWith('blocked:')) Object.assign(cell, { state: 'blocked', reason: skip.reason });
      else if (skip?.reason.startsWith('throttled:')) Object.assign(cell, { state: 'throttled', reason: skip.reason });
      // Against the simulator every cell is reachable, so only a real target (or a read-only run) may skip one.
      else if (skip && (facts.target === 'remote' || facts.readOnly)) Object.assign(cell, { state: 'skipped', reason: `skipped: ${skip.reason}` });
      else Object.assign(cell, { state: 'missing', reason: 'documented and reachable, but no test sent a request for it' });
      cells.push(cell);
    }
  }
  return cells;
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
  const argv = config.argv;
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

function coverageMarkdown(verdict: RunVerdict, generatedAt: string, cells: ReadonlyArray<CoverageCell>, notEnforced: ReadonlyArray<string>): string {
  const required = cells.filter((c) => c.state === 'exercised' || c.state === 'probed' || c.state === 'missing');
  const missing = cells.filter((c) => c.state === 'missing');
  const verdictText =
    missing.length === 0
      ? 'complete'
      : notEnforced.length > 0
        ? `${missing.length} cell(s) not exercised, not enforced (${notEnforced.join('; ')})`
        : `${missing.length} cell(s) never exercised`;
  const statuses = [...new Set(cells.map((c) => c.status))].sort((a, b) => a - b);
  const operations = [...new Set(cells.map((c) => c.operation))];
  const where = `${verdict.facts.target === 'remote' ? 'remote target' : 'simulator'}${verdict.facts.readOnly ? ', read-only run' : ''}`;
  const lines = [
    `**Contract coverage ${required.filter((c) => c.state !== 'missing').length}/${required.length}: ${verdictText}** (${where}, ${generatedAt})`,
    '',
    `| operation | ${statuses.join(' | ')} |`,
    `|---|${statuses.map(() => '---').join('|')}|`,
  ];
  const label: Record<CellState, (c: CoverageCell) => string> = {
    exercised: (c) => `exercised (${c.tests.length})`,
    probed: (c) => `probed (${c.probedBy.length}), answered otherwise`,
    missing: () => '**MISSING**',
    blocked: () => 'blocked',
    throttled: () => 'throttled',
    skipped: () => 'skipped',
    'simulator-only': () => 'simulator-only',
    'read-only': () => 'read-only run',
    unprovoked: () => 'not provoked',
  };
  for (const operation of operations) {
    const row = cells.filter((c) => c.operation === operation);
    const first = row[0];
    const heading = first ? `${operation} ${code(`${first.method} ${first.path}`)}` : operation;
    lines.push(
      `| ${heading} | ${statuses
        .map((s) => {
          const c = row.find((r) => r.status === s);
          return c ? label[c.state](c) : '';
        })
        .join(' | ')} |`,
    );
  }
  lines.push(
    '',
    'Cells: exercised (tests answered with it) · probed (tests sent a request expecting it and got another answer: see drift.md) · **MISSING** documented and reachable, no test sent a request for it · blocked (a precondition of its test broke) · throttled (429) · skipped (by a stated reason) · simulator-only (x-simulator-only, not required against a real target) · not provoked (x-unprovoked) · read-only run · blank: not documented.',
  );
  const unexercised = cells.filter((c) => !c.exercised);
  if (unexercised.length > 0) {
    lines.push('', '### Not answered', '', '| operation | status | state | reason |', '|---|---|---|---|');
    for (const c of unexercised) lines.push(`| ${c.operation} | ${c.status} | ${c.state} | ${escapeCell(c.reason ?? '')} |`);
  }
  return `${lines.join('\n')}\n`;
}

function joinNames(names: ReadonlyArray<string>): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** Relative to the working directory when inside it, else absolute. */
function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

/** GitHub refuses a job summary over 1 MiB per step (and drops it). */
const stepSummaryLimitBytes = 1024 * 1024;

/** Appends the summary to $GITHUB_STEP_SUMMARY when the file stays within GitHub's limit; otherwise only the headline and where the rest is. */
function appendStepSummary(file: string, summary: string, headlineText: string): void {
  let present = 0;
  try {
    present = fs.statSync(file).size;
  } catch {
    // Not there yet: appendFileSync creates it.
  }
  const fits = present + Buffer.byteLength(summary, 'utf8') + 1 <= stepSummaryLimitBytes;
  const text = fits ? summary : `## ${headlineText}\n\nThe whole summary did not fit in this step's summary (1 MiB): see summary.md in the gate's reports.\n`;
  fs.appendFileSync(file, `${text}\n`);
}

/**
 * junit.xml as Playwright's junit reporter wrote it, made safe: it drops C0/C1 controls itself, but not U+FFFE/U+FFFF or a
 * lone surrogate (a strict XML parser, and so a CI test tab, refuses the file), nor a line a CI runner reads as a workflow
 * command. The messages are made safe where they are written (contract/); this is the backstop for anything else.
 */
function makeLogSafe(file: string): void {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return;
  }
  const safe = logFileText(text);
  if (safe !== text) writeWhole(file, safe);
}

/** Writes next to the destination, then renames: a reader never sees half a report. */
function writeWhole(file: string, text: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, text);
  fs.renameSync(temporary, file);
}
