// Aggregates the specs' contract records into findings, test counts and coverage, and renders drift, coverage and summary reports from them.
import type { Acceptance, AcceptedFindings } from '../config/accepted-findings';
import {
  boundMarkdown,
  countFindings,
  countsText,
  findingCause,
  markdownCode,
  markdownText,
  requestLine,
  terminalText,
  type ContractRecord,
  type DeclaredIntent,
  type Finding,
  type FindingCounts,
  type RunFacts,
} from '../contract';
import { acceptanceFor, acceptanceMatches } from './accepted-findings';

/** One test's records and outcome, with its place in the suite so reports do not depend on which worker finished first. */
export interface TestVerdict {
  /** The describe chain and title: `GET /{customer_id} › answers 404 for an unknown customer`. */
  title: string;
  titlePath: string[];
  order: number;
  /** What the test declared (contract/intent.ts): its cells and its operation's own spec; reports never read its title for it. */
  intent: DeclaredIntent;
  outcome: 'passed' | 'failed' | 'throttled' | 'blocked' | 'skipped' | 'errored' | 'interrupted';
  /** Why it was blocked, throttled or skipped, or the first line of an error that is no finding. */
  reason?: string;
  records: ContractRecord[];
}

/** One finding per cause (the same check, operation and observed behaviour), with the tests that saw it. */
export interface AggregatedFinding extends Finding {
  /** Every distinct observed value, when tests saw more than one; `observed` is the first. */
  observedValues?: unknown[];
  /** Every distinct request (`GET /cust_abc123/usage?…`) that showed it, when there was more than one; `url` is the first. */
  requests?: string[];
  /** The grounds of the other findings folded into this one, when they differ from `evidence` (which is the strongest). */
  otherEvidence?: Finding['evidence'][];
  tests: string[];
  count: number;
  /** The accepted-findings entry covering it: a holding one turns it into a warning, an expired one fails the gate again. */
  acceptance?: { reason: string; expires: string; where: string; expired: boolean };
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
  /** The accepted-findings file this run read, and its entries that matched no finding (stale: remove or fix them). */
  acceptances: { file: string; entries: number; stale: Acceptance[] };
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
/** At most this many distinct observed values (and distinct requests) are kept per finding. */
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

/** Findings grouped by cause across tests and workers, failing ones first, in an order that does not depend on timing. */
export function aggregateFindings(verdicts: readonly TestVerdict[]): AggregatedFinding[] {
  const byKey = new Map<string, AggregatedFinding>();
  // The operation's own spec, as its describe block declares it, first (its `observed` is the primary customer's value), then suite order.
  const ownSpec = (v: TestVerdict, operation: string): number => (v.intent.ownSpecOf.includes(operation) ? 0 : 1);
  const entries = verdicts.flatMap((v) => v.records.filter((r) => r.role === 'claim').flatMap((r) => r.findings.map((finding) => ({ verdict: v, finding }))));
  entries.sort(
    (a, b) =>
      levelRank[a.finding.evidence.level] - levelRank[b.finding.evidence.level] ||
      ownSpec(a.verdict, a.finding.operation) - ownSpec(b.verdict, b.finding.operation) ||
      a.verdict.order - b.verdict.order,
  );
  for (const { verdict, finding } of entries) {
    const key = findingCause(finding);
    const seen = byKey.get(key);
    if (!seen) {
      byKey.set(key, { ...finding, tests: [verdict.title], count: 1 });
      continue;
    }
    seen.count += 1;
    if (seen.tests.length < maxTestsPerFinding && !seen.tests.includes(verdict.title)) seen.tests.push(verdict.title);
    const values = seen.observedValues ?? [seen.observed];
    if (values.length < maxObservedValues && !values.some((v) => JSON.stringify(v) === JSON.stringify(finding.observed)))
      seen.observedValues = [...values, finding.observed];
    const requests = seen.requests ?? [requestLine(seen)];
    if (requests.length < maxObservedValues && !requests.includes(requestLine(finding))) seen.requests = [...requests, requestLine(finding)];
    // The strongest ground came first; a weaker one folded in is named beside it.
    const grounds = [seen.evidence, ...(seen.otherEvidence ?? [])];
    if (!grounds.some((e) => e.level === finding.evidence.level && e.note === finding.evidence.note))
      seen.otherEvidence = [...(seen.otherEvidence ?? []), finding.evidence];
    seen.gating ||= finding.gating;
    if (finding.security) seen.security = true;
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

/**
 * Marks the findings an entry of the accepted-findings file covers: a holding acceptance makes a finding a warning, an
 * expired one leaves it failing and says so. Returns the entries that matched nothing (stale).
 */
export function applyAcceptances(findings: AggregatedFinding[], accepted: AcceptedFindings | undefined, now: Date): Acceptance[] {
  const entries = accepted?.entries ?? [];
  for (const finding of findings) {
    const match = acceptanceFor(finding, entries, now);
    if (!match) continue;
    const { reason, expires, where } = match.acceptance;
    finding.acceptance = { reason, expires, where, expired: match.expired };
    if (!match.expired) finding.gating = false;
  }
  return entries.filter((entry) => !findings.some((finding) => acceptanceMatches(entry, finding)));
}

export function countTests(verdicts: readonly TestVerdict[]): TestCounts {
  const counts: TestCounts = { total: verdicts.length, passed: 0, failed: 0, throttled: 0, blocked: 0, skipped: 0, errored: 0, interrupted: 0 };
  for (const v of verdicts) counts[v.outcome] += 1;
  return counts;
}

/** The run's verdict from its tests and findings, with the accepted findings (if any) applied as of `now`. */
export function runVerdict(verdicts: readonly TestVerdict[], fallback: RunFacts, accepted?: AcceptedFindings, now: Date = new Date()): RunVerdict {
  const facts = verdicts.flatMap((v) => v.records.map((r) => r.run))[0] ?? fallback;
  const all = aggregateFindings(verdicts);
  const stale = applyAcceptances(all, accepted, now);
  const counts = countFindings(all);
  const tests = countTests(verdicts);
  const failing = tests.failed + tests.errored + tests.interrupted > 0;
  const state = failing ? 'failed' : tests.throttled > 0 ? 'inconclusive' : all.length > 0 ? 'passed with warnings' : 'passed';
  const acceptances = { file: accepted?.file ?? '', entries: accepted?.entries.length ?? 0, stale };
  return { state, facts, counts, tests, acceptances, ...limitPerKind(all) };
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

/** Which target the run judged, loudly: a green run against the simulator must never pass for a real one. */
export function targetText(facts: RunFacts, markdown = false): string {
  const readOnly = facts.readOnly ? ', read-only run' : '';
  // In Markdown the origin is a code span: GitHub would turn a bare URL into a link.
  const name = facts.targetName === undefined ? '(API_BASE_URL)' : markdown ? code(facts.targetName) : facts.targetName;
  return facts.target === 'remote'
    ? `judged: REAL TARGET ${name}${readOnly}`
    : `judged: the embedded SIMULATOR (mode ${facts.targetName ?? 'faithful'}), not a real API${readOnly}`;
}

const stateText: Record<RunVerdict['state'], string> = {
  passed: 'PASSED',
  'passed with warnings': 'PASSED with warnings',
  failed: 'FAILED',
  inconclusive: 'INCONCLUSIVE (throttled)',
};

/** A breaking finding an unexpired entry of the accepted-findings file covers. */
export function isAccepted(finding: AggregatedFinding): boolean {
  return finding.acceptance !== undefined && !finding.acceptance.expired;
}

/** `; of the breaking: 1 accepted, 1 whose acceptance expired, 2 warnings under strictness documented`, or nothing. */
function breakdownText(verdict: RunVerdict): string {
  const breaking = verdict.findings.filter((f) => f.severity === 'breaking');
  const accepted = breaking.filter(isAccepted).length;
  const expired = breaking.filter((f) => f.acceptance?.expired).length;
  // Advisories are counted apart in the headline's counts, not among the breaking.
  const warnings = breaking.filter((f) => !f.gating && !isAccepted(f) && f.evidence.advisory === undefined).length;
  const parts: string[] = [];
  if (accepted > 0) parts.push(`${accepted} accepted (${verdict.acceptances.file})`);
  if (expired > 0) parts.push(`${expired} whose acceptance expired`);
  if (warnings > 0) parts.push(`${warnings} ${warnings === 1 ? 'a warning' : 'warnings'} under CONTRACT_STRICTNESS=${verdict.facts.strictness}`);
  return parts.length > 0 ? `; of the breaking: ${parts.join(', ')}` : '';
}

/** The one headline every output starts with (`markdown`: the target's name as a code span). */
export function headline(verdict: RunVerdict, markdown = false): string {
  const accepted = markdown ? breakdownText(verdict).replace(verdict.acceptances.file, escapeCell(verdict.acceptances.file)) : breakdownText(verdict);
  return `Contract gate: ${stateText[verdict.state]} — ${countsText(verdict.counts)}${accepted} · tests: ${testsText(verdict.tests)} · strictness ${verdict.facts.strictness} · ${targetText(verdict.facts, markdown)}`;
}

/** How a report names a finding's weight: its evidence, and whether it is accepted, expired or a warning. */
export function weightOf(finding: AggregatedFinding, strictness: RunFacts['strictness']): string {
  const base = `${finding.security ? 'SECURITY, ' : ''}${finding.severity}, ${finding.evidence.level}`;
  if (finding.acceptance?.expired) return `${base}; its acceptance EXPIRED on ${finding.acceptance.expires}, so it fails again (${finding.acceptance.where})`;
  if (finding.acceptance) return `${base}; accepted until ${finding.acceptance.expires}: ${finding.acceptance.reason}`;
  const open = finding.evidence.advisory;
  if (finding.severity === 'breaking' && !finding.gating && open !== undefined)
    return `${base}; advisory: the page leaves this open (CONTRACT_ENFORCE=${open} or CONTRACT_STRICTNESS=strict enforces it)`;
  if (finding.severity === 'breaking' && !finding.gating) return `${base}; a warning under CONTRACT_STRICTNESS=${strictness}`;
  return base;
}

/** `seen 3× in 3 tests`, with the other requests that showed the same cause. */
function seenText(finding: AggregatedFinding): string {
  const tests = finding.tests.length;
  const requests = finding.requests ? `, ${finding.requests.length} different requests` : '';
  return `seen ${finding.count}× in ${tests} test${tests === 1 ? '' : 's'}${requests}`;
}

/** The finding as one line: operation, status, request, message and weight (the contract's findingLine, with this run's acceptances). */
export function reportLine(finding: AggregatedFinding, strictness: RunFacts['strictness']): string {
  return `${finding.operation} ${finding.status} ${requestLine(finding)} ${finding.message} [${weightOf(finding, strictness)}]`;
}

/** A skipped or blocked part of the suite: its describe chain, why, and how many tests. */
export interface NotRunPart {
  part: string;
  outcome: 'skipped' | 'blocked';
  /** The skip's own reason, which names the variable that turns the part on. */
  reason: string;
  tests: string[];
}

/** The parts that did not run, grouped by describe chain and reason, in suite order. */
export function notRunParts(verdicts: readonly TestVerdict[]): NotRunPart[] {
  const parts = new Map<string, NotRunPart>();
  for (const v of verdicts) {
    if (v.outcome !== 'skipped' && v.outcome !== 'blocked') continue;
    // titlePath() is [root, project, file, ...describes, title]: the part is the describes, or the file for a top-level test.
    const describes = v.titlePath.slice(3, -1).filter(Boolean);
    const part = describes.length > 0 ? describes.join(' › ') : (v.titlePath[2] ?? v.title);
    const reason = v.reason ?? (v.outcome === 'skipped' ? 'skipped without a stated reason' : 'blocked');
    const key = JSON.stringify([part, v.outcome, reason]);
    const seen = parts.get(key);
    if (seen) seen.tests.push(v.title);
    else parts.set(key, { part, outcome: v.outcome, reason, tests: [v.title] });
  }
  return [...parts.values()];
}

function notRunLine(part: NotRunPart): string {
  const count = `${part.tests.length} test${part.tests.length === 1 ? '' : 's'}`;
  return `${part.outcome === 'blocked' ? 'blocked' : 'did not run'}: ${part.part} (${count}): ${part.reason.replace(/^blocked: /, '')}`;
}

/** The terminal's last lines: the headline, each breaking finding with its reproduction, what did not run and why, and where the reports are. */
export function terminalSummary(
  verdict: RunVerdict,
  verdicts: readonly TestVerdict[],
  files: { drift: string; summary: string },
  coverageLine: string,
  notes: readonly string[] = [],
  limit = 10,
): string {
  const lines = ['', headline(verdict)];
  const breaking = verdict.findings.filter((f) => f.severity === 'breaking');
  const ordered = [...breaking.filter((f) => !isAccepted(f)), ...breaking.filter(isAccepted)];
  const shown = ordered.slice(0, limit);
  for (const finding of shown) {
    const mark = finding.gating ? '✗' : isAccepted(finding) ? '~' : '!';
    // Every line is terminalText: a finding holds the target's bytes, and this is what a CI log shows.
    lines.push(`  ${mark} ${terminalText(reportLine(finding, verdict.facts.strictness))} (${seenText(finding)})`);
    lines.push(`      ${terminalText(finding.curl)}`);
  }
  if (ordered.length > shown.length) lines.push(`  … ${ordered.length - shown.length} more in ${files.summary}`);
  for (const stale of verdict.acceptances.stale)
    lines.push(
      `  ? stale acceptance ${terminalText(stale.where)} (${terminalText(acceptanceLabel(stale))}) matched no finding in this run: remove it if the API is fixed`,
    );
  for (const part of notRunParts(verdicts)) lines.push(`  - ${terminalText(notRunLine(part))}`);
  for (const v of verdicts.filter((x) => x.outcome === 'throttled' || x.outcome === 'errored'))
    lines.push(`  - ${terminalText(v.title)}: ${terminalText(v.reason ?? v.outcome)}`);
  for (const line of omittedLines(verdict)) lines.push(`  … ${line}`);
  lines.push(...notes);
  lines.push(`${coverageLine} · drift: ${countsText(verdict.counts)} → ${files.drift} · summary: ${files.summary}`);
  return `${lines.join('\n')}\n`;
}

/** `getCustomer ignored_auth /data/x 404`: what an entry of the accepted-findings file names. */
function acceptanceLabel(acceptance: Acceptance): string {
  return [acceptance.operation, acceptance.check, acceptance.pointer === '' ? '(response)' : acceptance.pointer, acceptance.status]
    .filter((x) => x !== undefined)
    .join(' ');
}

/** A markdown code span safe inside a table cell (contract/untrusted-text.ts); nothing is `(empty)`, never an empty span. */
export function code(text: string): string {
  return text === '' ? '(empty)' : markdownCode(text, { cell: true });
}

/** Text as Markdown prose safe inside a table cell: no markup, link or HTML can form from it (contract/untrusted-text.ts). */
export function escapeCell(text: string): string {
  return markdownText(text, { cell: true });
}

/** A value as JSON text; `undefined` (which JSON.stringify returns no text for) as `nothing`. */
function show(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

function evidenceCell(finding: AggregatedFinding): string {
  const ground = (e: Finding['evidence']): string => `${e.level}${e.level !== 'documented' && e.note ? `: ${escapeCell(e.note)}` : ''}`;
  const others = (finding.otherEvidence ?? []).map((e) => `; also ${ground(e)}`).join('');
  const acceptance = finding.acceptance
    ? finding.acceptance.expired
      ? `; **acceptance expired ${finding.acceptance.expires}** (${escapeCell(finding.acceptance.where)})`
      : `; accepted until ${finding.acceptance.expires}: ${escapeCell(finding.acceptance.reason)}`
    : '';
  return `${finding.security ? '**security**, ' : ''}${ground(finding.evidence)}${others}${acceptance}`;
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
    const requests = f.requests ? ` (and ${f.requests.length - 1} other request(s), see drift.json)` : '';
    lines.push(
      `| ${f.operation} | ${f.status}${f.expectedStatus !== undefined && f.expectedStatus !== f.status ? ` (expected ${f.expectedStatus})` : ''} | ${code(requestLine(f))}${requests} | ${code(f.pointer || '(response)')} | ${f.kind} | ${code(show(f.expected))} | ${code(show(f.observed))} (${f.observedType})${others} | ${evidenceCell(f)} | ${f.count}× in ${f.tests.length} test(s) |`,
    );
  }
  lines.push('', 'Reproduce (export API_BASE_URL and API_TOKEN, and API_DELETE_TOKEN for the disposable customer):', '');
  rows.forEach((f, i) => lines.push(`${i + 1}. ${escapeCell(`${f.operation} ${f.status} ${f.pointer || '(response)'} ${f.kind}`)}: ${code(f.curl)}`));
  lines.push('');
}

/** drift.md: the headline and every finding, failing first, each with its evidence and reproduction. */
export function driftMarkdown(verdict: RunVerdict, generatedAt: string): string {
  const title = verdict.findings.length === 0 ? 'No drift' : countsText(verdict.counts);
  const lines = [`**Contract drift: ${title}** (${targetText(verdict.facts, true)}, strictness ${verdict.facts.strictness}, ${generatedAt})`, ''];
  const breaking = verdict.findings.filter((f) => f.severity === 'breaking');
  findingTable(
    lines,
    'Breaking',
    breaking.filter((f) => f.gating),
  );
  findingTable(
    lines,
    `Breaking, reported as warnings (not enforced under CONTRACT_STRICTNESS=${verdict.facts.strictness})`,
    breaking.filter((f) => !f.gating && !isAccepted(f)),
  );
  findingTable(lines, `Breaking, accepted (${verdict.acceptances.file}: each with its reason and expiry)`, breaking.filter(isAccepted));
  const nonBreaking = verdict.findings.filter((f) => f.severity === 'non-breaking');
  findingTable(
    lines,
    'Non-breaking additions (the gate passes; the API added something the contract does not document)',
    nonBreaking.filter((f) => f.kind === 'undocumented-property'),
  );
  findingTable(
    lines,
    'Advisories (the gate passes; something the vendor page does not settle, e.g. a header it never mentions, was missing or different)',
    nonBreaking.filter((f) => f.kind !== 'undocumented-property'),
  );
  for (const line of omittedLines(verdict)) lines.push(`- ${line}`);
  return boundMarkdown(`${lines.join('\n').trimEnd()}\n`, maxDriftMarkdownBytes, 'drift.json');
}

function summaryTable(lines: string[], title: string, rows: readonly AggregatedFinding[], strictness: RunFacts['strictness']): void {
  if (rows.length === 0) return;
  lines.push(`### ${title}`, '', '| # | finding | evidence | seen |', '|---|---|---|---|');
  const shown = rows.slice(0, maxSummaryRows);
  shown.forEach((f, i) => {
    const note = f.acceptance?.expired ? '(acceptance expired) ' : f.gating || isAccepted(f) ? '' : '(warning) ';
    lines.push(
      `| ${i + 1} | ${note}${escapeCell(f.operation)} ${f.status} ${code(requestLine(f))} ${code(f.message)} | ${evidenceCell(f)} | ${escapeCell(seenText(f))} |`,
    );
  });
  if (rows.length > shown.length) lines.push('', `… ${rows.length - shown.length} more: see drift.md.`);
  lines.push('', '<details><summary>Reproduce each finding</summary>', '', '```sh', 'export API_BASE_URL=… API_TOKEN=… API_DELETE_TOKEN=…');
  // Inside the code block a line break in a pointer could close the fence: each line is one terminalText line.
  shown.forEach((f, i) =>
    lines.push(
      terminalText(`# ${i + 1}. ${f.operation} ${f.status} ${f.pointer || '(response)'} ${f.kind} [${weightOf(f, strictness)}]`),
      terminalText(f.curl),
    ),
  );
  lines.push('```', '', '</details>', '');
}

/** summary.md: what a PR comment or $GITHUB_STEP_SUMMARY shows: headline, new and accepted findings, what did not run and why. */
export function summaryMarkdown(verdict: RunVerdict, verdicts: readonly TestVerdict[], coverageLine: string, generatedAt: string): string {
  const lines = [
    `## ${headline(verdict, true)
      .replace(/ — /, '\n\n**')
      .replace(/ · tests: /, '** · tests: ')}`,
    '',
    `${coverageLine} · ${generatedAt}`,
    '',
  ];
  const breaking = verdict.findings.filter((f) => f.severity === 'breaking');
  summaryTable(
    lines,
    'New findings',
    breaking.filter((f) => !isAccepted(f)),
    verdict.facts.strictness,
  );
  summaryTable(lines, `Accepted findings (${verdict.acceptances.file}; warnings until they expire)`, breaking.filter(isAccepted), verdict.facts.strictness);
  if (verdict.acceptances.stale.length > 0) {
    lines.push(
      '### Stale acceptances (they matched no finding in this run: remove them if the API is fixed)',
      '',
      ...verdict.acceptances.stale.map((a) => `- ${escapeCell(a.where)}: ${escapeCell(acceptanceLabel(a))}, until ${a.expires}: ${escapeCell(a.reason)}`),
      '',
    );
  }
  const nonBreaking = verdict.findings.filter((f) => f.severity === 'non-breaking');
  if (nonBreaking.length > 0) {
    const named = nonBreaking
      .slice(0, maxSummaryRows)
      .map((f) => `${escapeCell(f.operation)} ${f.status} ${f.pointer ? code(f.pointer) : '(response)'} ${f.kind}`);
    const rest = nonBreaking.length > maxSummaryRows ? ` and ${nonBreaking.length - maxSummaryRows} more` : '';
    lines.push(`Non-breaking: ${named.join(', ')}${rest} (see drift.md).`, '');
  }
  for (const line of omittedLines(verdict)) lines.push(`- ${line}`);
  if (verdict.omitted.length > 0) lines.push('');
  const parts = notRunParts(verdicts);
  if (parts.length > 0)
    lines.push(
      "### What did not run, and why (each reason names what turns it on; blocked: a precondition did not hold, not a verdict on the test's own claim)",
      '',
      ...parts.map((p) => `- ${escapeCell(notRunLine(p))}`),
      '',
    );
  const listed = (outcome: TestVerdict['outcome'], title: string): void => {
    const tests = verdicts.filter((v) => v.outcome === outcome);
    if (tests.length === 0) return;
    lines.push(`### ${title}`, '', ...tests.map((v) => `- ${escapeCell(v.title)}: ${escapeCell(v.reason ?? outcome)}`), '');
  };
  listed('throttled', 'Throttled (429 after the retries: not drift, nothing judged)');
  listed('errored', 'Failed without a finding');
  return boundMarkdown(`${lines.join('\n').trimEnd()}\n`, maxSummaryBytes, 'drift.md and drift.json');
}
