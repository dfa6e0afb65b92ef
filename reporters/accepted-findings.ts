// Which accepted-findings entry (config/accepted-findings.ts) covers a finding, and whether that acceptance still holds.
import { acceptanceExpired, type Acceptance } from '../config/accepted-findings';
import type { Finding } from '../contract';

/** How an entry of the accepted-findings file applies to a finding. */
export interface AcceptanceMatch {
  acceptance: Acceptance;
  /** The entry's expiry day has passed: the finding fails the gate again. */
  expired: boolean;
}

/**
 * The names a finding answers to in the file's `check`: its kind (`type`, `auth`, `status-mismatch` …), the generated
 * check that made it (`ignored_auth`, named in its message as `[ignored_auth]`), and a `check` field when the record has one.
 */
export function checkNamesOf(finding: Finding): string[] {
  const names = new Set<string>([finding.kind]);
  const own = (finding as Finding & { check?: unknown }).check;
  if (typeof own === 'string') names.add(own);
  const named = /\[([a-z][a-z0-9_]*)\]/.exec(finding.message)?.[1];
  if (named) names.add(named);
  return [...names];
}

/** Whether an entry describes this finding: the same operation, and every field the entry gives (check, pointer, status) agrees. */
export function acceptanceMatches(acceptance: Acceptance, finding: Finding): boolean {
  if (acceptance.operation !== finding.operation) return false;
  if (acceptance.check !== undefined && !checkNamesOf(finding).includes(acceptance.check)) return false;
  if (acceptance.pointer !== undefined && acceptance.pointer !== finding.pointer) return false;
  if (acceptance.status !== undefined && acceptance.status !== finding.status) return false;
  return true;
}

/** The entry covering a breaking finding, a holding one before an expired one; undefined when none does (non-breaking drift is never "accepted"). */
export function acceptanceFor(finding: Finding, entries: readonly Acceptance[], now: Date): AcceptanceMatch | undefined {
  if (finding.severity !== 'breaking') return undefined;
  const matching = entries.filter((entry) => acceptanceMatches(entry, finding));
  const holding = matching.find((entry) => !acceptanceExpired(entry, now));
  if (holding) return { acceptance: holding, expired: false };
  const expired = matching[0];
  return expired ? { acceptance: expired, expired: true } : undefined;
}
