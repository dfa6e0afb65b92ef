// Where a rule comes from (documented, inferred, simulator-only) and which breaks fail the gate under CONTRACT_STRICTNESS.

/** How strong the ground for a rule is: the vendor's page says so, we inferred it, or only the simulator can be made to show it. */
export type EvidenceLevel = 'documented' | 'inferred' | 'simulator-only';

/** A rule's evidence: its level and, for inferred and simulator-only rules, why the rule exists and where that comes from. */
export interface Evidence {
  level: EvidenceLevel;
  /**
   * Set when the rule is one of the page's open questions (docs/gate-rules.md): how the API handles an input the page does
   * not define, or which of two plausible statuses it picks. The value names the rule (the check) for CONTRACT_ENFORCE.
   * An advisory is reported with its evidence and fails the gate only under CONTRACT_STRICTNESS=strict or when
   * CONTRACT_ENFORCE names it.
   */
  advisory?: string;
  /** For `inferred`: the reasoning and its source (e.g. the vendor's convention on other pages); for the others, what the page or the simulator says. */
  note?: string;
}

/**
 * Which breaks fail the gate: `documented` only the page's own rules; `inferred` (the default) those and the inferences no
 * reasonable reading of the page contradicts; `strict` every rule, advisories included.
 */
export type Strictness = 'documented' | 'inferred' | 'strict';

/**
 * The advisory rules, by the name CONTRACT_ENFORCE takes: what the page leaves open (docs/gate-rules.md lists each with
 * its reason). A name here is never documented.
 */
export const advisoryRules = {
  undocumented_status: 'a status the page does not list (400/414/422 for a malformed id, 403, 405, 406, 410, a 3xx)',
  positive_data_acceptance: 'a valid ISO 8601 form the page does not show (date-times, offsets, fractions, far years, one bound alone, long ranges)',
  negative_data_rejection: 'an input the page does not define (repeated or empty parameters, padding, hour 24, local times, ISO 8601 intervals)',
  auth_order: 'whether an unknown id answers 404 before the credential is checked, or 400 for a malformed credential',
  unknown_id_status: "which 4xx a well-formed-looking but unknown id gets when it is not shaped like the page's ids",
  after_delete: 'what a deleted customer answers (404, 410, or 401 once its token died with it)',
  date_time_period: 'how a date-time range is echoed (the same instants, or widened to whole days)',
  negotiation: 'which status an Accept the document does not offer gets (406, 415, a documented status)',
} as const;

export type AdvisoryRule = keyof typeof advisoryRules;

/** Whether a string names an advisory rule. */
export function isAdvisoryRule(name: string): name is AdvisoryRule {
  return Object.prototype.hasOwnProperty.call(advisoryRules, name);
}

/** A documented rule, with what the page says. */
export function documented(note?: string): Evidence {
  return note === undefined ? { level: 'documented' } : { level: 'documented', note };
}

/** An inferred rule, with its reason and source. */
export function inferred(note: string): Evidence {
  return { level: 'inferred', note };
}

/** An advisory: what the page leaves open (`rule` names it for CONTRACT_ENFORCE), with why it is open. */
export function advisory(rule: AdvisoryRule, note: string): Evidence {
  return { level: 'inferred', note, advisory: rule };
}

/** A rule only the reference simulator can be made to show (a provoked 500). */
export function simulatorOnly(note: string): Evidence {
  return { level: 'simulator-only', note };
}

const rank: Record<EvidenceLevel, number> = { documented: 0, inferred: 1, 'simulator-only': 2 };

/** The weaker of two grounds: a documented rule checked on an inferred response is only as strong as the response. */
export function weakest(a: Evidence, b: Evidence): Evidence {
  return rank[b.level] > rank[a.level] ? b : a;
}

/** The weaker of two grounds, advisory included: an advisory claim makes every break of it an advisory. */
export function weakestWithAdvisory(a: Evidence, b: Evidence): Evidence {
  const weaker = weakest(a, b);
  const open = a.advisory ?? b.advisory;
  return open !== undefined && weaker.advisory === undefined ? { ...weaker, advisory: open } : weaker;
}

/**
 * Whether a breaking finding with this evidence fails the gate; otherwise it is reported as a warning (an advisory, or an
 * inferred rule under `documented`). `enforce` (CONTRACT_ENFORCE) names advisory rules that fail the gate anyway.
 */
export function gates(evidence: Evidence, strictness: Strictness, enforce: readonly string[] = []): boolean {
  if (strictness === 'strict') return true;
  if (evidence.advisory !== undefined) return enforce.includes(evidence.advisory);
  return strictness === 'inferred' || evidence.level === 'documented';
}
