// Findings as the judge (contract/judge.ts) and the generated phase's checks (contract/generated-checks.ts) both make them:
// a draft, completed with the exchange it was found on; the finding for no answer at all; the outcome the findings of an
// exchange give; and the cause a finding shares with others, by which the reports group them.
import type { DriftFinding } from './check-response';
import { documented, gates, weakest, type Evidence } from './evidence';
import { curlFor, requestLine, type ContractRecord, type Finding, type RequestRecord, type RunFacts } from './records';
import { terminalText } from './untrusted-text';

/** One request and what came back, as a spec observed it through the relay. */
export interface ObservedExchange {
  operation: string;
  request: RequestRecord;
  status: number;
  contentType: string | undefined;
  bodyText: string;
  /** Set when the relay answered itself (a refusal, a cap): the target gave no answer to judge. */
  noAnswer?: string;
  /** When the target answered 429 and the client waited: how often and how long. */
  throttle?: { retries: number; retryAfter: string | undefined; waitedMs: number };
}

/** A finding before it is completed with the exchange it was found on (who, where, what was expected) and whether it gates. */
export type FindingDraft = Omit<Finding, 'operation' | 'method' | 'url' | 'status' | 'expectedStatus' | 'gating' | 'curl'>;

/** The finding of a draft on an exchange: its request and answer, its reproduction, and whether it fails the gate under the run's strictness. */
export function completeFinding(exchange: ObservedExchange, draft: FindingDraft, run: RunFacts, expectedStatus?: number): Finding {
  return {
    operation: exchange.operation,
    method: exchange.request.method,
    url: exchange.request.url,
    status: exchange.status,
    ...(expectedStatus === undefined ? {} : { expectedStatus }),
    ...draft,
    gating: draft.severity === 'breaking' && gates(draft.evidence, run.strictness, run.enforce),
    curl: curlFor(exchange.request),
  };
}

/** A draft of a body or media-type finding of checkResponse, its evidence no stronger than `cap` (the answered response's own ground). */
export function draftFromDrift(finding: DriftFinding, cap: Evidence): FindingDraft {
  return {
    pointer: finding.pointer,
    kind: finding.kind,
    severity: finding.severity,
    evidence: weakest(finding.evidence, cap),
    expected: finding.expected,
    observed: finding.observed,
    observedType: finding.observedType,
    message: finding.message,
  };
}

/** The finding when the target gave no answer (the relay answered itself: a refusal, a cap, a timeout). */
export function noAnswerFinding(exchange: ObservedExchange, run: RunFacts, expectedStatus?: number): Finding {
  return completeFinding(
    exchange,
    {
      pointer: '',
      kind: 'no-answer',
      severity: 'breaking',
      evidence: documented('every operation answers with a documented status'),
      expected: expectedStatus ?? 'an answer',
      observed: exchange.noAnswer,
      observedType: 'text',
      message: terminalText(`(response): no answer: the target gave no answer to ${requestLine(exchange.request)}: ${exchange.noAnswer ?? ''}`),
    },
    run,
    expectedStatus,
  );
}

/** What an exchange's findings make of it: failed when one gates, warned when there are only warnings, else passed. */
export function findingsOutcome(findings: readonly Pick<Finding, 'gating'>[]): Extract<ContractRecord['outcome'], 'passed' | 'warned' | 'failed'> {
  if (findings.some((f) => f.gating)) return 'failed';
  return findings.length > 0 ? 'warned' : 'passed';
}

/** What a finding expected, as its cause sees it: a status the hand-written specs hold as a number and the generated checks as text are one. */
function expectationKey(finding: Finding): string {
  if (finding.expectedStatus !== undefined && finding.expectedStatus !== finding.status) return `status ${finding.expectedStatus}`;
  if (typeof finding.expected === 'string' && /^[1-5]\d\d$/.test(finding.expected) && Number(finding.expected) !== finding.status)
    return `status ${finding.expected}`;
  return finding.expected === undefined ? 'nothing' : JSON.stringify(finding.expected);
}

/**
 * The cause a finding shares with others, the key the reports deduplicate findings by: the same operation, kind of check,
 * answered status, pointer, expectation and severity. Which request showed it (with or without a query, which bad
 * credential) and under which rule's evidence are not part of it: "answered 200, expected 401" for a missing, an invalid
 * and a non-Bearer credential is one cause.
 */
export function findingCause(finding: Finding): string {
  return JSON.stringify([finding.operation, finding.kind, finding.status, finding.pointer, expectationKey(finding), finding.severity]);
}
