// Aggregates the specs' contract records into findings, test counts and coverage, and renders drift, coverage and summary reports from them.
import {
  boundMarkdown,
  countFindings,
  countsText,
  findingLine,
  markdownCode,
  markdownText,
  requestLine,
  terminalText,
  type ContractOutline,
  type ContractRecord,
  type Finding,
  type FindingCounts,
  type RunFacts,
} from '../contract';

/** One test's records and outcome, with its place in the suite so reports do not depend on which worker finished first. */
export interface TestVerdict {
  /** The describe chain and title: `GET /{customer_id} › answers 404 for an unknown customer`. */
  title: string;
  titlePath: string[];
  order: number;
  outcome: 'passed' | 'failed' | 'throttled' | 'blocked' | 'skipped' | 'errored' | 'interrupted';
  /** Why it was blocked, throttled or skipped, or the first line of an error that is no finding. */
  reason?: string;
  records: ContractRecord[];
}

/** One deduplicated finding, with the tests that saw it. */
export interface AggregatedFinding extends Finding {
  /** Every distinct observed value, when tests saw more than one; `observed` is the first. */
  observedValues?: unknown[];
  tests: string[];
  count: number;
}

export interface TestCounts {
  total: number;
  passed: number;
  /** Failed on a contract finding. */
  failed: number;
  throttled: number;
  blocked: number;
  skipped: number;
  /** Failed on something that is not a finding (a bug, a timeout): listed by name. */
  errored: number;
  interrupted: number;
}

/** The whole run's verdict: what the headline, the terminal and every report say. */
export interface RunVerdict {
  state: 'passed' | 'passed with warnings' | 'failed' | 'inconclusive';
  facts: RunFacts;
  counts: FindingCounts;
  tests: TestCounts;
  findings: AggregatedFinding[];
  /** Findings of a kind beyond maxRunFindingsPerKind: counted (in `counts` too), not listed. */
  omitted: OmittedFindings[];
}

/** How many findings of one kind and severity a run did not list. */
export interface OmittedFindings {
  kind: Finding['kind'];
  severity: Finding['severity'];
  count: number;
}

/** At most this many distinct findings of one kind and severity are listed per run (drift.json, drift.md, summary.md). */
export const maxRunFindingsPerKind = 50;
/** At most this many distinct observed values are kept per finding. */
const maxObservedValues = 10;
/** At most this many test names are kept per finding (its count still counts every sighting). */
const maxTestsPerFinding = 20;
/** summary.md (and so $GITHUB_STEP_SUMMARY, limited to 1 MiB a step by GitHub) stays under this many bytes. */
export const maxSummaryBytes = 512 * 1024;
/** drift.md stays under this many bytes. */
export const maxDriftMarkdownBytes = 2 * 1024 * 1024;
/** At most this many breaking findings are rows of summary.md, and non-breaking pointers named in it; drift.md lists the rest. */
const maxSummaryRows = 100;

const levelRank = { documented: 0, inferred: 1, 'simulator-only': 2 } as const;

/** Findings deduplicated across tests and workers, failing ones first, in an order that does not depend on timing. */
export function aggregateFindings(contract: ContractOutline, verdicts: readonly TestVerdict[]): AggregatedFinding[] {
  const byKey = new Map<string, AggregatedFinding>();
  // The operation's own spec first (its `observed` is the primary customer's value), then suite order.
  const ownSpec = (v: TestVerdict, operation: string): number => (v.titlePath.includes(describeTitleOf(contract, operation)) ? 0 : 1);
  const entries = verdicts.flatMap((v) => v.records.filter((r) => r.role === 'claim').flatMap((r) => r.findings.map((finding) => ({ verdict: v, finding }))));
  entries.sort((a, b) => ownSpec(a.verdict, a.finding.operation) - ownSpec(b.verdict, b.finding.operation) || a.verdict.order - b.verdict.order);
  for (const { verdict, finding } of entries) {
    const key = JSON.stringify([
      finding.operation,
      finding.status,
      // A generated request has no one expected status; where a hand-written test expected the status it got, both are one finding.
      finding.expectedStatus ?? finding.status,
      finding.pointer,
      finding.kind,
      finding.severity,
      finding.evidence.level,
      finding.expected,
    ]);
    const seen = byKey.get(key);
    if (seen) {
      seen.count += 1;
      if (seen.tests.length < maxTestsPerFinding && !seen.tests.includes(verdict.title)) seen.tests.push(verdict.title);
      const values = seen.observedValues ?? [seen.observed];
      if (values.length < maxObservedValues && !values.some((v) => JSON.stringify(v) === JSON.stringify(finding.observed)))
        seen.observedValues = [...values, finding.observed];
    } else {
      byKey.set(key, { ...finding, tests: [verdict.title], count: 1 });
    }
  }
  const rank = (f: AggregatedFinding): number => (f.severity === 'non-breaking' ? 2 : f.gating ? 0 : 1);
  return [...byKey.values()].sort(
    (a, b) =>
      rank(a) - rank(b) ||
      Number(Boolean(b.security)) - Number(Boolean(a.security)) ||
      levelRank[a.evidence.level] - levelRank[b.evidence.level] ||
      a.operation.localeCompare(b.operation) ||
      a.status - b.status ||
      a.pointer.localeCompare(b.pointer) ||
      a.kind.localeCompare(b.kind),
  );
}

export function countTests(verdicts: readonly TestVerdict[]): TestCounts {
  const counts: TestCounts = { total: verdicts.length, passed: 0, failed: 0, throttled: 0, blocked: 0, skipped: 0, errored: 0, interrupted: 0 };
  for (const v of verdicts) counts[v.outcome] += 1;
  return counts;
}

/** The run's verdict from its tests and findings. */
export function runVerdict(contract: ContractOutline, verdicts: readonly TestVerdict[], fallback: RunFacts): RunVerdict {
  const facts = verdicts.flatMap((v) => v.records.map((r) => r.run))[0] ?? fallback;
  const all = aggregateFindings(contract, verdicts);
  const counts = countFindings(all);
  const tests = countTests(verdicts);
  const failing = tests.failed + tests.errored + tests.interrupted > 0;
  const state = failing ? 'failed' : tests.throttled > 0 ? 'inconclusive' : all.length > 0 ? 'passed with warnings' : 'passed';
  return { state, facts, counts, tests, ...limitPerKind(all) };
}

/** The first maxRunFindingsPerKind findings of each kind and severity (in report order), and how many of each were left out. */
function limitPerKind(all: readonly AggregatedFinding[]): Pick<RunVerdict, 'findings' | 'omitted'> {
  const findings: AggregatedFinding[] = [];
  const omitted = new Map<string, OmittedFindings>();
  const listed = new Map<string, number>();
  for (const finding of all) {
    const key = `${finding.kind} ${finding.severity}`;
    const count = (listed.get(key) ?? 0) + 1;
    listed.set(key, count);
    if (count <= maxRunFindingsPerKind) findings.push(finding);
    else {
      const entry = omitted.get(key) ?? { kind: finding.kind, severity: finding.severity, count: 0 };
      entry.count += 1;
      omitted.set(key, entry);
    }
  }
  return { findings, omitted: [...omitted.values()] };
}

/** `120 more undocumented-property findings (non-breaking) not listed: …`, one line per kind; none when nothing was cut. */
export function omittedLines(verdict: RunVerdict): string[] {
  return verdict.omitted.map(
    (o) =>
      `${o.count.toLocaleString('en-US')} more ${o.kind} findings (${o.severity}) not listed: at most ${maxRunFindingsPerKind} of a kind are listed per run (the counts include them)`,
  );
}

/** `4 failed, 3 blocked, 18 passed`: the tests as Playwright counts them, blocked and throttled named apart. */
export function testsText(tests: TestCounts): string {
  const parts: string[] = [];
  if (tests.failed > 0) parts.push(`${tests.failed} failed`);
  if (tests.errored > 0) parts.push(`${tests.errored} failed without a finding (an error)`);
  if (tests.throttled > 0) parts.push(`${tests.throttled} throttled`);
  if (tests.interrupted > 0) parts.push(`${tests.interrupted} interrupted`);
  if (tests.blocked > 0) parts.push(`${tests.blocked} blocked`);
  if (tests.skipped > 0) parts.push(`${tests.skipped} skipped`);
  parts.push(`${tests.passed} passed`);
  return parts.join(', ');
}

function targetText(facts: RunFacts): string {
  return `${facts.target === 'remote' ? 'remote target' : 'simulator'}${facts.readOnly ? ', read-only run' : ''}`;
}

const stateText: Record<RunVerdict['state'], string> = {
  passed: 'PASSED',
  'passed with warnings': 'PASSED with warnings',
  failed: 'FAILED',
  inconclusive: 'INCONCLUSIVE (throttled)',
};

/** The one headline every output starts with. */
export function headline(verdict: RunVerdict): string {
  const warnings = verdict.counts.warnings > 0 ? ` (${verdict.counts.warnings} of them warnings under CONTRACT_STRICTNESS=documented)` : '';
  return `Contract gate: ${stateText[verdict.state]} — ${countsText(verdict.counts)}${warnings} · tests: ${testsText(verdict.tests)} · strictness ${verdict.facts.strictness}, ${targetText(verdict.facts)}`;
}

/** The terminal's last lines: the headline, each failing finding with its reproduction, and where the reports are. */
export function terminalSummary(
  verdict: RunVerdict,
  verdicts: readonly TestVerdict[],
  files: { drift: string; summary: string },
  coverageLine: string,
  notes: readonly string[] = [],
  limit = 10,
): string {
  const lines = ['', headline(verdict)];
  const shown = verdict.findings.filter((f) => f.severity === 'breaking').slice(0, limit);
  // Every line is terminalText: a finding holds the target's bytes, and this is what a CI log shows.
  for (const finding of shown) {
    lines.push(`  ${finding.gating ? '✗' : '!'} ${terminalText(findingLine(finding))}${finding.tests.length > 1 ? ` (${finding.tests.length} tests)` : ''}`);
    lines.push(`      ${terminalText(finding.curl)}`);
  }
  const more = verdict.findings.filter((f) => f.severity === 'breaking').length - shown.length;
  if (more > 0) lines.push(`  … ${more} more in ${files.summary}`);
  for (const v of verdicts.filter((x) => x.outcome === 'blocked' || x.outcome === 'throttled' || x.outcome === 'errored'))
    lines.push(`  - ${terminalText(v.title)}: ${terminalText(v.reason ?? v.outcome)}`);
  for (const line of omittedLines(verdict)) lines.push(`  … ${line}`);
  lines.push(...notes);
  lines.push(`${coverageLine} · drift: ${countsText(verdict.counts)} → ${files.drift} · summary: ${files.summary}`);
  return `${lines.join('\n')}\n`;
}

/** A markdown code span safe inside a table cell: vendor data cannot inject markup or break the row (contract/untrusted-text.ts). */
export function code(text: string): string {
  return markdownCode(text, { cell: true });
}

/** Text as Markdown prose safe inside a table cell: no markup, link or HTML can form from it (contract/untrusted-text.ts). */
export function escapeCell(text: string): string {
  return markdownText(text, { cell: true });
}

/** A value as JSON text; `undefined` (which JSON.stringify returns no text for) as `nothing`. */
function show(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

function evidenceCell(finding: Finding): string {
  const note = finding.evidence.level !== 'documented' && finding.evidence.note ? `: ${escapeCell(finding.evidence.note)}` : '';
  return `${finding.security ? '**security**, ' : ''}${finding.evidence.level}${note}`;
}

function findingTable(lines: string[], title: string, rows: readonly AggregatedFinding[]): void {
  if (rows.length === 0) return;
  lines.push(
    `### ${title}`,
    '',
    '| operation | status | request | pointer | kind | expected | observed | evidence | seen |',
    '|---|---|---|---|---|---|---|---|---|',
  );
  for (const f of rows) {
    const others = f.observedValues ? ` (${f.observedValues.length - 1} other value(s), see drift.json)` : '';
    lines.push(
      `| ${f.operation} | ${f.status}${f.expectedStatus !== undefined && f.expectedStatus !== f.status ? ` (expected ${f.expectedStatus})` : ''} | ${code(requestLine(f))} | ${code(f.pointer || '(response)')} | ${f.kind} | ${code(show(f.expected))} | ${code(show(f.observed))} (${f.observedType})${others} | ${evidenceCell(f)} | ${f.count}× in ${f.tests.length} test(s) |`,
    );
  }
  lines.push('', 'Reproduce (export API_BASE_URL and API_TOKEN, and API_DELETE_TOKEN for the disposable customer):', '');
  rows.forEach((f, i) => lines.push(`${i + 1}. ${escapeCell(`${f.operation} ${f.status} ${f.pointer || '(response)'} ${f.kind}`)}: ${code(f.curl)}`));
  lines.push('');
}

/** drift.md: the headline and every finding, failing first, each with its evidence and reproduction. */
export function driftMarkdown(verdict: RunVerdict, generatedAt: string): string {
  const title = verdict.findings.length === 0 ? 'No drift' : countsText(verdict.counts);
  const lines = [`**Contract drift: ${title}** (${targetText(verdict.facts)}, strictness ${verdict.facts.strictness}, ${generatedAt})`, ''];
  findingTable(
    lines,
    'Breaking',
    verdict.findings.filter((f) => f.severity === 'breaking' && f.gating),
  );
  findingTable(
    lines,
    'Breaking, reported as warnings (CONTRACT_STRICTNESS=documented: not on the vendor page)',
    verdict.findings.filter((f) => f.severity === 'breaking' && !f.gating),
  );
  findingTable(
    lines,
    'Non-breaking (the gate passes; the API added something the contract does not document)',
    verdict.findings.filter((f) => f.severity === 'non-breaking'),
  );
  for (const line of omittedLines(verdict)) lines.push(`- ${line}`);
  return boundMarkdown(`${lines.join('\n').trimEnd()}\n`, maxDriftMarkdownBytes, 'drift.json');
}

/** summary.md: what a PR comment or $GITHUB_STEP_SUMMARY shows: headline, findings, reproductions, blocked and throttled tests. */
export function summaryMarkdown(verdict: RunVerdict, verdicts: readonly TestVerdict[], coverageLine: string, generatedAt: string): string {
  const lines = [
    `## ${headline(verdict)
      .replace(/ — /, '\n\n**')
      .replace(/ · tests: /, '** · tests: ')}`,
    '',
    `${coverageLine} · ${generatedAt}`,
    '',
  ];
  const breaking = verdict.findings.filter((f) => f.severity === 'breaking');
  if (breaking.length > 0) {
    lines.push('| # | finding | evidence | seen in |', '|---|---|---|---|');
    breaking
      .slice(0, maxSummaryRows)
      .forEach((f, i) =>
        lines.push(
          `| ${i + 1} | ${f.gating ? '' : '(warning) '}${escapeCell(f.operation)} ${f.status} ${code(requestLine(f))} ${code(f.message)} | ${evidenceCell(f)} | ${f.tests.length} test(s) |`,
        ),
      );
    if (breaking.length > maxSummaryRows) lines.push('', `… ${breaking.length - maxSummaryRows} more breaking findings: see drift.md.`);
    lines.push('', '<details><summary>Reproduce each finding</summary>', '', '```sh', 'export API_BASE_URL=… API_TOKEN=… API_DELETE_TOKEN=…');
    // Inside the code block a line break in a pointer could close the fence: each line is one terminalText line.
    breaking
      .slice(0, maxSummaryRows)
      .forEach((f, i) => lines.push(`# ${i + 1}. ${f.operation} ${f.status} ${terminalText(f.pointer || '(response)')}`, terminalText(f.curl)));
    lines.push('```', '', '</details>', '');
  }
  const nonBreaking = verdict.findings.filter((f) => f.severity === 'non-breaking');
  if (nonBreaking.length > 0) {
    const named = nonBreaking.slice(0, maxSummaryRows).map((f) => `${f.operation} ${f.status} ${code(f.pointer)}`);
    const rest = nonBreaking.length > maxSummaryRows ? ` and ${nonBreaking.length - maxSummaryRows} more` : '';
    lines.push(`Non-breaking: ${named.join(', ')}${rest} (see drift.md).`, '');
  }
  for (const line of omittedLines(verdict)) lines.push(`- ${line}`);
  if (verdict.omitted.length > 0) lines.push('');
  const listed = (outcome: TestVerdict['outcome'], title: string): void => {
    const tests = verdicts.filter((v) => v.outcome === outcome);
    if (tests.length === 0) return;
    lines.push(`### ${title}`, '', ...tests.map((v) => `- ${escapeCell(v.title)}: ${escapeCell(v.reason ?? outcome)}`), '');
  };
  listed('blocked', "Blocked (a precondition did not hold; not a verdict on the test's own claim)");
  listed('throttled', 'Throttled (429 after the retries: not drift, nothing judged)');
  listed('errored', 'Failed without a finding');
  return boundMarkdown(`${lines.join('\n').trimEnd()}\n`, maxSummaryBytes, 'drift.md and drift.json');
}

/** The describe title specs use for an operation ("GET /{customer_id}"); empty when the contract has no such operation. */
export function describeTitleOf(contract: ContractOutline, operationId: string): string {
  const operation = contract.operations.get(operationId);
  return operation ? `${operation.method.toUpperCase()} ${operation.path}` : '';
}
