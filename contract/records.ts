// The one record of what a spec sent, what came back and what is wrong with it: every report, message and summary is made from these.
import type { DriftKind, DriftSeverity, JsonType } from './check-response';
import type { Evidence, Strictness } from './evidence';
import { terminalLines } from './untrusted-text';

/** Name of the JSON attachment each judged exchange leaves on its test; the contract reporter reads every one. */
export const recordAttachment = 'contract-record.json';

/** Annotation type a spec leaves on a test it failed, blocked or found throttled, for people (the HTML report, junit): the reporter reads the records instead. */
export const verdictAnnotation = 'contract-verdict';

/**
 * Internal variable the contract reporter sets, in the runner, to its own process id before any worker starts. A worker
 * whose parent is that process knows the reporter will turn its expected contract failures back into failures, so it
 * can fail a test without Playwright discarding the worker (see specs/support/verdicts.ts).
 */
export const verdictReporterVariable = 'CONTRACT_SUITE_VERDICT_REPORTER';

/**
 * The description of the `fail` annotation a worker's `testInfo.fail()` leaves on a contract verdict it failed as
 * expected: the reporter removes exactly this one (specs/support/expected-failure.ts, reporters/expected-failure.ts).
 */
export const verdictFailNote = 'a contract verdict: the contract reporter reports it as the failure it is';

export type HttpMethodName = 'GET' | 'DELETE';
/** Methods the generated phase also sends (contract/generated-checks.ts): the undocumented ones, through the relay's bodiless rules. */
export type GeneratedMethodName = HttpMethodName | 'HEAD' | 'OPTIONS' | 'PUT' | 'POST' | 'PATCH';

/** How a request was authorised, for its reproduction: names the credential, never holds the token. */
export type CredentialUse =
  | { kind: 'none' }
  /** A configured customer's token under `scheme` (`none`: the raw token as the whole header). */
  | { kind: 'token'; whose: 'primary' | 'disposable'; scheme: string }
  /** A made-up credential the spec sent itself (an invalid token): not a secret. */
  | { kind: 'literal'; authorization: string };

/** One request as a spec sent it, enough to reproduce it. */
export interface RequestRecord {
  method: GeneratedMethodName;
  /** Path and query relative to the base URL, ids kept: `/cust_abc123/usage?start_date=2024-06-01`. */
  url: string;
  credential: CredentialUse;
  /** Other headers the spec sent (e.g. `prefer: code=500`). */
  headers?: Readonly<Record<string, string>>;
  /** Requests that must come first to reproduce this one (the DELETE before a use-after-free GET). */
  after?: RequestRecord[];
}

/** What a spec can find wrong beyond a body's shape: a status, no answer at all, or a behaviour. */
export type FindingKind =
  | DriftKind
  | 'status-mismatch'
  | 'no-answer'
  | 'echo'
  | 'ordering'
  | 'period'
  | 'use-after-free'
  | 'auth'
  | 'cross-tenant'
  // The generated phase's checks (contract/generated-checks.ts):
  | 'server-error'
  | 'negative-data-accepted'
  | 'positive-data-rejected'
  | 'undocumented-method'
  | 'header';

/** One way the target broke the contract, with everything needed to read, judge and reproduce it. */
export interface Finding {
  operation: string;
  method: GeneratedMethodName;
  url: string;
  /** The status the target answered (0: no answer). */
  status: number;
  /** The status the spec expected, when it expected one. */
  expectedStatus?: number;
  /** JSON pointer into the body (`/data/users_count`); empty for the whole response. */
  pointer: string;
  kind: FindingKind;
  severity: DriftSeverity;
  evidence: Evidence;
  /** A security finding (a request that should have been refused was served). */
  security?: boolean;
  /** Whether it fails the gate under the run's strictness; otherwise it is a warning. */
  gating: boolean;
  expected: unknown;
  observed: unknown;
  observedType: JsonType;
  /** One line: `/data/users_count: type mismatch: expected number, observed "25" (string)`. */
  message: string;
  /** One line of shell that sends the same request, with `$API_TOKEN` (or `$API_DELETE_TOKEN`) for the token. */
  curl: string;
}

/** Facts about the run the reporter needs and may not read from the environment. */
export interface RunFacts {
  target: 'simulator' | 'remote';
  /** Which one, for the headline: the real target's origin (`https://api.example.com`), or the simulator's mode (`faithful`). */
  targetName?: string;
  readOnly: boolean;
  strictness: Strictness;
  /** Advisory rules that fail the gate anyway (CONTRACT_ENFORCE). */
  enforce?: readonly string[];
}

/** How an exchange came out for its test. */
export type ExchangeOutcome = 'passed' | 'warned' | 'failed' | 'blocked' | 'throttled';

/** One judged exchange: a claim the test makes, or a precondition it needs. Attached to the test as `contract-record.json`. */
export interface ContractRecord {
  format: 'contract-record/1';
  role: 'claim' | 'precondition';
  /** What the test claimed or needed, in words. */
  claim: string;
  operation: string;
  request: RequestRecord;
  expectedStatus: number | undefined;
  /** What the target answered (0: no answer). */
  status: number;
  outcome: ExchangeOutcome;
  /** Why the exchange blocked its test or was throttled. */
  reason?: string;
  findings: Finding[];
  run: RunFacts;
}

/** Reads a record back; anything else is a bug worth a loud failure, not a silent gap. */
export function parseRecord(value: unknown): ContractRecord {
  const record = value as Partial<ContractRecord> | null;
  if (
    !record ||
    record.format !== 'contract-record/1' ||
    typeof record.operation !== 'string' ||
    typeof record.status !== 'number' ||
    !Array.isArray(record.findings) ||
    typeof record.run !== 'object'
  ) {
    throw new Error('not a contract-record/1');
  }
  return record as ContractRecord;
}

const tokenVariables = { primary: 'API_TOKEN', disposable: 'API_DELETE_TOKEN' } as const;

/** Text made safe inside double quotes in a POSIX shell, where only `"`, `\`, `` ` `` and `$` are special. */
function escapeForShell(text: string): string {
  return text.replace(/["\\`$]/g, '\\$&');
}

/** The `-H "Authorization: …"` argument of a reproduction, with the token as a shell variable; none without a credential. */
function authorizationArgument(credential: CredentialUse): string | undefined {
  switch (credential.kind) {
    case 'none':
      return undefined;
    case 'literal':
      return `"Authorization: ${escapeForShell(credential.authorization)}"`;
    case 'token': {
      const variable = `$${tokenVariables[credential.whose]}`;
      return credential.scheme.toLowerCase() === 'none' ? `"Authorization: ${variable}"` : `"Authorization: ${escapeForShell(credential.scheme)} ${variable}"`;
    }
  }
}

function curlPart(request: RequestRecord, final: boolean): string {
  const parts = ['curl -sS', final ? '-i' : '-o /dev/null', `-X ${request.method}`, `"$API_BASE_URL${escapeForShell(request.url)}"`];
  const authorization = authorizationArgument(request.credential);
  if (authorization !== undefined) parts.push('-H', authorization);
  for (const [name, value] of Object.entries(request.headers ?? {})) parts.push('-H', `"${escapeForShell(`${canonicalHeader(name)}: ${value}`)}"`);
  if (final) parts.push('-H', '"Accept: application/json"');
  return parts.join(' ');
}

/**
 * One line of shell that reproduces a request against `$API_BASE_URL` with `$API_TOKEN` (or `$API_DELETE_TOKEN`), preceded
 * by the requests it depends on; it prints the final answer's status line, headers and body.
 */
export function curlFor(request: RequestRecord): string {
  return [...(request.after ?? []).map((before) => curlPart(before, false)), curlPart(request, true)].join('; ');
}

function canonicalHeader(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => `${dash}${letter.toUpperCase()}`);
}

/** `GET /cust_abc123`: how a message names a request. */
export function requestLine(request: Pick<RequestRecord, 'method' | 'url'>): string {
  return `${request.method} ${request.url}`;
}

/** `breaking, documented` / `breaking, inferred: <note>` / `warning: breaking, inferred …`: how a message names a finding's weight. */
export function weightText(finding: Pick<Finding, 'severity' | 'evidence' | 'gating' | 'security'>): string {
  const security = finding.security ? 'SECURITY, ' : '';
  const base = `${security}${finding.severity}, ${finding.evidence.level}`;
  if (finding.severity !== 'breaking' || finding.gating) return base;
  const open = finding.evidence.advisory;
  return open !== undefined
    ? `${base}; advisory: the page leaves this open (CONTRACT_ENFORCE=${open} or CONTRACT_STRICTNESS=strict enforces it)`
    : `${base}; a warning under CONTRACT_STRICTNESS=documented`;
}

/** The finding as one line with its request and weight: what junit, the terminal and the reports print. */
export function findingLine(finding: Finding): string {
  return `${finding.operation} ${finding.status} ${requestLine(finding)} ${finding.message} [${weightText(finding)}]`;
}

const maxBodyLines = 60;
const maxBodyChars = 4000;

/** A body for people: JSON pretty-printed over several lines, anything else as sent; both cut to a readable size, each line safe for a terminal. */
export function prettyBody(text: string): string {
  if (!text) return '(empty)';
  let pretty = text;
  try {
    pretty = JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    // Not JSON: shown as sent.
  }
  const lines = pretty.split('\n');
  const cut = lines.length > maxBodyLines ? [...lines.slice(0, maxBodyLines), `… (${lines.length - maxBodyLines} more lines)`].join('\n') : pretty;
  // The target's bytes: each line without controls (a lone CR, ESC) or anything a CI runner reads as a command.
  return terminalLines(cut, maxBodyChars);
}

/** Counts of gating and warning findings by evidence, for headlines: `2 breaking (documented), 1 breaking (inferred)`. */
export interface FindingCounts {
  breaking: Record<Evidence['level'], number>;
  /** Breaking findings that do not fail the gate under the run's strictness (advisories included). */
  warnings: number;
  /** Breaking findings on what the page leaves open that do not fail the gate: counted here, not under `breaking`. */
  advisories: number;
  nonBreaking: number;
}

export function countFindings(findings: ReadonlyArray<Pick<Finding, 'severity' | 'evidence' | 'gating'>>): FindingCounts {
  const counts: FindingCounts = { breaking: { documented: 0, inferred: 0, 'simulator-only': 0 }, warnings: 0, advisories: 0, nonBreaking: 0 };
  for (const finding of findings) {
    if (finding.severity === 'non-breaking') counts.nonBreaking += 1;
    else if (!finding.gating && finding.evidence.advisory !== undefined) {
      counts.advisories += 1;
      counts.warnings += 1;
    } else {
      counts.breaking[finding.evidence.level] += 1;
      if (!finding.gating) counts.warnings += 1;
    }
  }
  return counts;
}

/** `2 breaking (documented), 1 breaking (inferred), 2 advisories, 1 non-breaking`, or `0 breaking, 1 non-breaking`. */
export function countsText(counts: FindingCounts): string {
  const parts = (['documented', 'inferred', 'simulator-only'] as const)
    .filter((level) => counts.breaking[level] > 0)
    .map((level) => `${counts.breaking[level]} breaking (${level})`);
  if (parts.length === 0) parts.push('0 breaking');
  if (counts.advisories > 0) parts.push(`${counts.advisories} ${counts.advisories === 1 ? 'advisory' : 'advisories'}`);
  parts.push(`${counts.nonBreaking} non-breaking`);
  return parts.join(', ');
}
