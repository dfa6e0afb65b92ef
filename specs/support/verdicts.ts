// How a spec turns a judged exchange into its test's outcome: attach the record, then warn, block, or fail without costing the worker.
//
// The outcome follows contract/intent.ts's settledOutcome (the reporter reads the records by the same rule); a failure is
// failed as an expected one so the worker stays (specs/support/expected-failure.ts fences that trick).
import fs from 'node:fs';
import path from 'node:path';
import { test, type APIResponse } from '@playwright/test';
import { UserError } from '../../config/errors';
import { loadEnforce, loadStrictness } from '../../config/settings';
import {
  advisoryRules,
  isAdvisoryRule,
  judgePrecondition,
  judgeRules,
  recordAttachment,
  recordMessage,
  settledOutcome,
  verdictAnnotation,
  type ContractRecord,
  type ObservedExchange,
  type RuleCheck,
  type RunFacts,
} from '../../contract';
import { relayErrorHeader } from '../../relay/protocol';
import { sentRequestOf } from './exchanges';
import { failAsExpected } from './expected-failure';
import { readRunHandoff } from './run-handoff';

let facts: RunFacts | undefined;
/** At most this many warning annotations per test; the records (and so drift.json) keep every finding. */
const maxWarningAnnotations = 20;

/** CONTRACT_ENFORCE's names, each an advisory rule of contract/evidence.ts. @throws UserError naming an unknown one and the known ones. */
export function enforcedAdvisories(): string[] {
  const names = loadEnforce();
  const unknown = names.filter((name) => !isAdvisoryRule(name));
  if (unknown.length > 0)
    throw new UserError(
      `CONTRACT_ENFORCE names ${unknown.map((n) => JSON.stringify(n)).join(', ')}, not an advisory rule: use ${Object.keys(advisoryRules).join(', ')}`,
    );
  return names;
}

/** The run's target kind, read-only switch, strictness and enforced advisories, as every record carries them. */
export function runFacts(): RunFacts {
  if (!facts) {
    const { target } = readRunHandoff();
    const enforce = enforcedAdvisories();
    facts = {
      target: target.kind,
      ...(target.name ? { targetName: target.name } : {}),
      readOnly: target.readOnly,
      strictness: loadStrictness(),
      ...(enforce.length > 0 ? { enforce } : {}),
    };
  }
  return facts;
}

/** The exchange behind a response: its request (for the reproduction), status, content type and body. */
export async function observe(response: APIResponse, operation: string): Promise<ObservedExchange> {
  const { request, throttle } = sentRequestOf(response);
  const bodyText = (await response.body()).toString('utf8');
  const headers = response.headers();
  return {
    operation,
    request,
    status: response.status(),
    contentType: headers['content-type'],
    bodyText,
    ...(headers[relayErrorHeader] ? { noAnswer: bodyText } : {}),
    ...(throttle ? { throttle } : {}),
  };
}

/** Leaves the records on the test, for the reporter. */
async function attachRecords(records: readonly ContractRecord[]): Promise<void> {
  const info = test.info();
  for (const record of records) await info.attach(recordAttachment, { body: JSON.stringify(record), contentType: 'application/json' });
}

/**
 * Settles the test on these records: warnings become annotations, a blocked precondition skips the test, a throttled or
 * failed exchange fails it. Returns the failure message to raise (the matcher returns it, the others throw it).
 */
export async function settle(records: readonly ContractRecord[], exchange: ObservedExchange | undefined): Promise<string | undefined> {
  await attachRecords(records);
  const info = test.info();
  for (const record of records) {
    for (const finding of record.findings.filter((f) => !f.gating)) {
      // Bounded: a target that adds thousands of properties must not add thousands of annotations (junit, the HTML report).
      const shown = info.annotations.filter((a) => a.type === 'warning').length;
      if (shown > maxWarningAnnotations) break;
      if (shown === maxWarningAnnotations) {
        info.annotations.push({ type: 'warning', description: `more warnings than ${maxWarningAnnotations}: see drift.json for every one` });
        break;
      }
      const label =
        finding.severity === 'non-breaking'
          ? 'non-breaking drift'
          : finding.evidence.advisory !== undefined
            ? `advisory (${finding.evidence.advisory}: the page leaves this open; CONTRACT_ENFORCE=${finding.evidence.advisory} or CONTRACT_STRICTNESS=strict enforces it)`
            : `breaking (${finding.evidence.level}) drift, a warning under CONTRACT_STRICTNESS=documented,`;
      info.annotations.push({ type: 'warning', description: `${label} in ${record.operation} ${record.status}: ${finding.message}` });
    }
  }
  const settled = settledOutcome(records);
  if (settled === undefined) return undefined;
  // The annotation is for people (the HTML report, junit's properties); the reporter reads the records themselves.
  info.annotations.push({ type: verdictAnnotation, description: settled.reason ?? settled.outcome });
  if (settled.outcome === 'blocked') test.skip(true, settled.reason);
  const message = settled.outcome === 'throttled' ? (settled.reason ?? 'throttled') : recordMessage(records, exchange);
  failAsExpected(info);
  return message;
}

/** Judges behaviour rules the schema cannot express on an answer that kept its status claim; fails the test when one breaks. */
export async function expectRules(response: APIResponse, operation: string, claim: string, rules: readonly RuleCheck[]): Promise<void> {
  const exchange = await observe(response, operation);
  const message = await settle([judgeRules(exchange, claim, rules, runFacts())], exchange);
  if (message !== undefined) throw new Error(message);
}

/** Where the state changes a spec made on the run's shared resources are written, so a later test (or worker) knows. */
function ledgerFile(): string {
  return path.join(test.info().project.outputDir, '.contract-state-ledger.json');
}

function readLedger(): Record<string, string> {
  try {
    return JSON.parse(fs.readFileSync(ledgerFile(), 'utf8')) as Record<string, string>;
  } catch {
    return {};
  }
}

/** Notes that a test used up a shared resource (the disposable customer), and how: the next test that needs it is blocked by this. */
export function noteConsumed(resource: string, how: string): void {
  const ledger = readLedger();
  if (ledger[resource] !== undefined) return;
  fs.mkdirSync(path.dirname(ledgerFile()), { recursive: true });
  fs.writeFileSync(ledgerFile(), JSON.stringify({ ...ledger, [resource]: how }));
}

/**
 * A precondition: the state the test needs, checked by an answer's status. Not a claim: when it does not hold, the test
 * is skipped as blocked, naming what broke it (the earlier test that used the resource up, or the answer), and the
 * exchange still counts for coverage.
 */
export async function requireState(response: APIResponse, need: { operation: string; state: string; status: number; resource?: string }): Promise<void> {
  const exchange = await observe(response, need.operation);
  const judged = judgePrecondition(exchange, need, runFacts());
  const consumed = need.resource !== undefined ? readLedger()[need.resource] : undefined;
  const record =
    judged.outcome === 'blocked' && consumed !== undefined ? { ...judged, reason: `blocked: ${need.resource ?? ''} is gone: ${consumed}` } : judged;
  const message = await settle([record], exchange);
  if (message !== undefined) throw new Error(message);
}
