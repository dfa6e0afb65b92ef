// Judges one exchange against a claim (a status, a behaviour rule, a precondition) and returns the record every report is made from.
import { checkResponse, jsonType, showObserved } from './check-response';
import type { Contract } from './compile';
import type { Evidence } from './evidence';
import { completeFinding, draftFromDrift, findingsOutcome, noAnswerFinding, type ObservedExchange } from './findings';
import { curlFor, prettyBody, requestLine, weightText, type ContractRecord, type Finding, type FindingKind, type RunFacts } from './records';
import { clip, terminalText } from './untrusted-text';

/** What a target that *served* a request the claim expects refused has done: a security hole, a use after free. */
export interface ServedMeaning {
  kind: FindingKind;
  evidence: Evidence;
  security?: boolean;
  /** Completes "…: " in the message, e.g. "the request was not authorised, yet the API served it". */
  text: string;
}

/** A claim about the status (and so the body) of an answer. */
export interface StatusClaim {
  /** What the test claims, in words ("answers 401 without an Authorization header"). */
  claim: string;
  status: number;
  /** The ground for expecting this status; default: the documented response's own (x-inferred, x-simulator-only or documented). */
  evidence?: Evidence;
  /** Other statuses that keep the claim, each judged against its own documented response (a refusal may be 404, 401 or 403). */
  alsoAccept?: readonly number[];
  /** What a 2xx answer means when the claim expects a refusal. */
  served?: ServedMeaning;
}

/** A behaviour rule the schema cannot express (an echo, an order, a period). */
export interface RuleCheck {
  /** The rule, in words ("a date-only start_date begins at T00:00:00.000Z"). */
  rule: string;
  kind: FindingKind;
  pointer: string;
  expected: unknown;
  observed: unknown;
  holds: boolean;
  evidence: Evidence;
  security?: boolean;
}

function record(
  exchange: ObservedExchange,
  role: ContractRecord['role'],
  claim: string,
  expectedStatus: number | undefined,
  run: RunFacts,
  findings: Finding[],
  outcome: ContractRecord['outcome'] = findingsOutcome(findings),
  reason?: string,
): ContractRecord {
  return {
    format: 'contract-record/1',
    role,
    claim,
    operation: exchange.operation,
    request: exchange.request,
    expectedStatus,
    status: exchange.status,
    outcome,
    ...(reason ? { reason } : {}),
    findings,
    run,
  };
}

/** Why an exchange with a 429 could not be judged. */
function throttledReason(exchange: ObservedExchange): string {
  const throttle = exchange.throttle;
  const retries = throttle?.retries ?? 0;
  const waited = throttle && throttle.waitedMs > 0 ? `, ${Math.round(throttle.waitedMs / 1000)} s waited` : '';
  const retryAfter = throttle?.retryAfter ? `, Retry-After ${terminalText(throttle.retryAfter, 100)}` : '';
  const how = retries > 0 ? `after ${retries} retr${retries === 1 ? 'y' : 'ies'}${waited}${retryAfter}` : `with no retry left in the run's budget${retryAfter}`;
  return `throttled: ${exchange.operation} answered 429 to ${requestLine(exchange.request)} ${how}: the vendor's rate limit, not drift; nothing was judged`;
}

/** Judges an answer against a status claim: the status, then the body against that status's documented response. */
export function judgeStatusClaim(contract: Contract, exchange: ObservedExchange, claim: StatusClaim, run: RunFacts): ContractRecord {
  const operation = contract.operation(exchange.operation);
  // Throws for a status the contract does not have: a check never silently passes on a missing schema.
  const expected = contract.response(exchange.operation, claim.status);
  const claimEvidence = claim.evidence ?? expected.statusEvidence;
  if (exchange.noAnswer !== undefined) return record(exchange, 'claim', claim.claim, claim.status, run, [noAnswerFinding(exchange, run, claim.status)]);
  if (exchange.status === 429 && claim.status !== 429)
    return record(exchange, 'claim', claim.claim, claim.status, run, [], 'throttled', throttledReason(exchange));

  const accepted = exchange.status === claim.status || (claim.alsoAccept ?? []).includes(exchange.status);
  if (!accepted) {
    const served = exchange.status >= 200 && exchange.status < 300 ? claim.served : undefined;
    const answered = operation.responses.get(exchange.status);
    const onPage = answered !== undefined && answered.statusEvidence.level === 'documented';
    const notOnPage = onPage
      ? ''
      : `; ${exchange.status} is not a documented status of ${exchange.operation}${answered ? ` (the contract lists it as ${answered.statusEvidence.level}: not on the vendor's page)` : ''}`;
    const wanted = [claim.status, ...(claim.alsoAccept ?? [])].join(' or ');
    const text = `answered ${exchange.status}, expected ${wanted}${notOnPage}${served ? `: ${served.text}` : ''}`;
    const finding = completeFinding(
      exchange,
      {
        pointer: '',
        kind: served?.kind ?? (answered ? 'status-mismatch' : 'undocumented-status-code'),
        severity: 'breaking',
        evidence: served?.evidence ?? claimEvidence,
        ...(served?.security ? { security: true } : {}),
        expected: claim.status,
        observed: exchange.status,
        observedType: 'number',
        message: `(status): ${text}`,
      },
      run,
      claim.status,
    );
    return record(exchange, 'claim', claim.claim, claim.status, run, [finding]);
  }

  const answered = contract.response(exchange.operation, exchange.status);
  const findings: Finding[] = [];
  if (answered.statusEvidence.level !== 'documented' && exchange.status !== claim.status) {
    // An accepted status that is not on the vendor's page (a 403 refusal): reported, not failing.
    findings.push(
      completeFinding(
        exchange,
        {
          pointer: '',
          kind: 'status-mismatch',
          severity: 'non-breaking',
          evidence: answered.statusEvidence,
          expected: claim.status,
          observed: exchange.status,
          observedType: 'number',
          message: `(status): answered ${exchange.status}, which keeps the claim but is not a documented status of ${exchange.operation} (the contract lists it as ${answered.statusEvidence.level}: not on the vendor's page)`,
        },
        run,
        claim.status,
      ),
    );
  }
  // A body is judged on the response it is: its rules are as strong as that response's own ground (a provoked 500's
  // are simulator-only), whatever the claim that led to it.
  const cap = answered.statusEvidence;
  const check = checkResponse(contract, exchange.operation, { status: exchange.status, contentType: exchange.contentType, bodyText: exchange.bodyText });
  for (const drift of check.findings) findings.push(completeFinding(exchange, draftFromDrift(drift, cap), run, claim.status));
  return record(exchange, 'claim', claim.claim, claim.status, run, findings);
}

/** Judges behaviour rules on an answer that already kept its status claim. */
export function judgeRules(exchange: ObservedExchange, claim: string, rules: readonly RuleCheck[], run: RunFacts): ContractRecord {
  const findings = rules
    .filter((rule) => !rule.holds)
    .map((rule) => {
      const observedType = jsonType(rule.observed);
      const expected = asJson(rule.expected);
      return completeFinding(
        exchange,
        {
          pointer: rule.pointer,
          kind: rule.kind,
          severity: 'breaking',
          evidence: rule.evidence,
          ...(rule.security ? { security: true } : {}),
          expected: rule.expected,
          observed: rule.observed,
          observedType,
          // The pointer and both values can be the target's bytes: one safe line, each value bounded.
          message: terminalText(
            `${rule.pointer || '(response)'}: ${rule.rule}: expected ${clip(expected)}, observed ${clip(showObserved(rule.observed, observedType))}`,
          ),
        },
        run,
      );
    });
  return record(exchange, 'claim', claim, exchange.status, run, findings);
}

/** A precondition: the state a test needs (the customer exists). Not a claim: a broken one blocks the test and is no finding of its own. */
export function judgePrecondition(exchange: ObservedExchange, need: { state: string; status: number }, run: RunFacts): ContractRecord {
  const blocked = (why: string): ContractRecord => record(exchange, 'precondition', need.state, need.status, run, [], 'blocked', `blocked: ${why}`);
  if (exchange.noAnswer !== undefined) {
    return blocked(terminalText(`${need.state} could not be checked: the target gave no answer to ${requestLine(exchange.request)} (${exchange.noAnswer})`));
  }
  if (exchange.status === 429) return record(exchange, 'precondition', need.state, need.status, run, [], 'throttled', throttledReason(exchange));
  if (exchange.status !== need.status) {
    return blocked(
      `${exchange.operation} answered ${exchange.status} to ${requestLine(exchange.request)}, so ${need.state} does not hold (needed ${need.status})`,
    );
  }
  return record(exchange, 'precondition', need.state, need.status, run, []);
}

/** A value as JSON text; `undefined` (which JSON.stringify returns no text for) as `nothing`. */
function asJson(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

/** At most this many findings of one record are listed in a test's failure message (and so in junit.xml and the terminal). */
const maxMessageFindings = 30;
const bodyShownFor = new Set<ContractRecord['outcome']>(['failed', 'warned']);
/** Kinds of finding a behaviour rule makes (the rest are about the answer's status and shape). */
const behaviourKinds = new Set<FindingKind>(['echo', 'ordering', 'period', 'use-after-free', 'auth', 'cross-tenant']);

/** A finding about the answer's status, made by judgeStatusClaim: its message starts `(status): `. */
function isStatusFinding(finding: Finding): boolean {
  return finding.message.startsWith('(status): ') && finding.severity === 'breaking';
}

/** The failure (or warning) text of records, for the test's error and junit: every finding with its request, weight and reproduction. */
export function recordMessage(records: readonly ContractRecord[], exchange: ObservedExchange | undefined): string {
  const lines: string[] = [];
  for (const r of records) {
    if (!bodyShownFor.has(r.outcome)) continue;
    const noAnswer = r.findings.find((f) => f.kind === 'no-answer');
    if (noAnswer) {
      lines.push(
        terminalText(`${r.operation}: the target gave no answer to ${requestLine(r.request)}: ${String(noAnswer.observed)}`),
        `  reproduce: ${curlFor(r.request)}`,
      );
      continue;
    }
    const statusFinding = r.findings.find(isStatusFinding);
    // "getCustomer answered 403, expected 401 (GET /cust_abc123); 403 is not a documented status …"
    const head =
      statusFinding !== undefined
        ? `${r.operation} ${statusFinding.message.replace(/^\(status\): /, '').replace(/^(answered \d+, expected [^[:;]+?)(?= \[|:|;|$)/, `$1 (${requestLine(r.request)})`)}`
        : r.findings.some((f) => behaviourKinds.has(f.kind))
          ? `${r.operation} answered ${r.status} (${requestLine(r.request)}), but "${r.claim}" does not hold:`
          : `${r.operation} answered ${r.status} as expected (${requestLine(r.request)}), but the response ${r.findings.some((f) => f.gating) ? 'breaks' : 'differs from'} the contract:`;
    lines.push(head);
    const listed = r.findings.slice(0, maxMessageFindings);
    for (const finding of listed) {
      if (finding === statusFinding) {
        lines.push(`  ✗ [${weightText(finding)}]${finding.evidence.note ? ` — ${finding.evidence.level}: ${finding.evidence.note}` : ''}`);
        continue;
      }
      const mark = finding.gating ? '✗' : '!';
      lines.push(`  ${mark} ${finding.message} [${weightText(finding)}]`);
      if (finding.evidence.level !== 'documented' && finding.evidence.note) lines.push(`      ${finding.evidence.level}: ${finding.evidence.note}`);
    }
    if (r.findings.length > listed.length) lines.push(`  … ${r.findings.length - listed.length} more findings in this answer (see drift.json)`);
    lines.push(`  reproduce: ${curlFor(r.request)}`);
  }
  if (exchange && exchange.noAnswer === undefined) {
    lines.push('', `Content-Type: ${terminalText(exchange.contentType ?? '(none)', 200)}`, 'Body:', prettyBody(exchange.bodyText));
  }
  return lines.join('\n');
}
