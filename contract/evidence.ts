// Where a rule comes from (documented, inferred, simulator-only) and which breaks fail the gate under CONTRACT_STRICTNESS.

/** How strong the ground for a rule is: the vendor's page says so, we inferred it, or only the simulator can be made to show it. */
export type EvidenceLevel = 'documented' | 'inferred' | 'simulator-only';

/** A rule's evidence: its level and, for inferred and simulator-only rules, why the rule exists and where that comes from. */
export interface Evidence {
  level: EvidenceLevel;
  /** For `inferred`: the reasoning and its source (e.g. the vendor's convention on other pages); for the others, what the page or the simulator says. */
  note?: string;
}

/** Which breaks fail the gate: `documented` only the page's own rules, `inferred` (the default) every rule the contract holds. */
export type Strictness = 'documented' | 'inferred';

/** A documented rule, with what the page says. */
export function documented(note?: string): Evidence {
  return note === undefined ? { level: 'documented' } : { level: 'documented', note };
}

/** An inferred rule, with its reason and source. */
export function inferred(note: string): Evidence {
  return { level: 'inferred', note };
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

/** Whether a breaking finding with this evidence fails the gate; otherwise it is reported as a warning. */
export function gates(evidence: Evidence, strictness: Strictness): boolean {
  return strictness === 'inferred' || evidence.level === 'documented';
}
