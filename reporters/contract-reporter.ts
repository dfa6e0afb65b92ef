// The contract reporter: reads the records and declared cells the specs attach, restores contract verdicts as failures, and writes drift, coverage and summary reports from them.
import fs from 'node:fs';
import path from 'node:path';
import type { FullConfig, FullResult, Reporter, Suite, TestCase, TestResult } from '@playwright/test/reporter';
import type { AcceptedFindings } from '../config/accepted-findings';
import {
  clip,
  declaredIntent,
  defaultLineLimit,
  loadContractOutline,
  logFileText,
  parseRecord,
  recordAttachment,
  settledOutcome,
  type ContractRecord,
  type DeclaredIntent,
  type Finding,
  type RunFacts,
  type SettledOutcome,
  type Strictness,
} from '../contract';
import { acceptanceFor } from './accepted-findings';
import { coverageCells, coverageLine, coverageMarkdown, coverageReport } from './coverage';
import { announceFailureRestorer, restoreFailure } from './expected-failure';
import { filterReasons } from './run-arguments';
import { driftMarkdown, headline, isAccepted, runVerdict, summaryMarkdown, terminalSummary, type TestVerdict } from './verdict-reports';

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

/**
 * Listed first in the gate's reporters. For each test it reads the `contract-record.json` attachments and the cells the
 * test declares (contract/intent.ts), never its title, and turns a contract verdict the worker failed as *expected* (to
 * keep the worker) back into the failure it is, before any other reporter sees the test (reporters/expected-failure.ts).
 * At the end it writes drift.json/md, coverage.json/md and summary.md from the records, sets
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
    announceFailureRestorer();
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
    let intent: DeclaredIntent = { cells: [], ownSpecOf: [], drawn: [] };
    try {
      intent = declaredIntent([...test.annotations, ...result.annotations]);
    } catch (error) {
      this.readErrors.push(`${title}: ${error instanceof Error ? error.message : String(error)}`);
    }
    // The outcome is the records' (contract/intent.ts's rule, the same the spec settled the test by), never an annotation's text.
    const settled = settledOutcome(records);
    // A contract failure whose every failing finding an unexpired acceptance covers stays the expected failure the worker
    // made it: the test passes (with the acceptance noted), and the run's reports list the finding as accepted.
    const accepted = settled?.outcome === 'failed' && this.allAccepted(records);
    if (accepted)
      result.annotations.push({ type: 'contract-accepted', description: `every failing finding is accepted (${this.options.acceptedFindings?.file ?? ''})` });
    else restoreFailure(test, result, settled?.outcome === 'failed' || settled?.outcome === 'throttled');
    this.verdicts.set(test.id, {
      title,
      titlePath: test.titlePath(),
      order: this.testOrder.get(test.id) ?? this.testOrder.size,
      intent,
      records,
      ...(accepted ? { outcome: 'passed' as const } : outcomeOf(test, result, settled)),
    });

    if (result.status === 'interrupted') this.didNotRun.push(title);
    if (result.status !== 'skipped') return;
    const annotations = [...result.annotations, ...test.annotations];
    // test.fixme() and a bare test.skip() are deliberate but unexplained: they excuse nothing, yet the run is complete.
    if (!annotations.some((a) => a.type === 'skip' || a.type === 'fixme')) this.didNotRun.push(title);
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
    const verdict = runVerdict(verdicts, fallback, this.options.acceptedFindings, this.now());

    // A skipped, blocked or throttled test sent nothing (or nothing judged) for the cells it declares: it excuses them.
    const cells = coverageCells(contract, verdicts, verdict.facts);
    const notEnforced = [...filterReasons(this.config), ...this.incompleteReasons(result)];
    const missing = cells.filter((c) => c.state === 'missing');
    const coverage = coverageReport(cells, verdict.facts, generatedAt, notEnforced);
    const coverageText = coverageLine(cells, notEnforced);
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
    const summary = summaryMarkdown(verdict, verdicts, coverageText, generatedAt);
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
    this.terminal = terminalSummary(verdict, verdicts, { drift: displayPath(files.drift), summary: displayPath(files.summary) }, coverageText, lines);
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

/** What became of a test, in the report's words. */
function outcomeOf(test: TestCase, result: TestResult, settled: SettledOutcome | undefined): Pick<TestVerdict, 'outcome' | 'reason'> {
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
      return settled?.outcome === 'blocked'
        ? { outcome: 'blocked', reason: settled.reason ?? 'blocked' }
        : { outcome: 'skipped', ...(reason ? { reason } : {}) };
    }
    case 'interrupted':
      return { outcome: 'interrupted' };
    default:
      if (settled?.outcome === 'throttled') return { outcome: 'throttled', reason: settled.reason ?? 'throttled' };
      if (settled?.outcome === 'failed') return { outcome: 'failed' };
      return { outcome: 'errored', reason: clip(`${result.status}: ${firstError}`.trim(), defaultLineLimit) };
  }
}

/** The describe chain and test title: titlePath() is [root, project, file, ...describes, title]. */
function testTitle(test: TestCase): string {
  const chain = test.titlePath().slice(3).filter(Boolean);
  return chain.length > 0 ? chain.join(' › ') : test.title;
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
