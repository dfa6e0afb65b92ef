// What a spec test declares about itself, as data the reporter reads instead of its title: the contract cells it exercises, the operation whose own spec it is, and the outcome its records settle it on.
import type { ContractRecord } from './records';

/**
 * Annotation type of one contract cell a test sends a request for and claims (`getCustomer 404`), declared statically
 * (`test(title, { annotation }, body)`) so that it reaches the reporter for a skipped test too. The reporter lets a
 * skipped, blocked or throttled test excuse the cells it declares, and no others (specs/support/intent.ts makes them).
 */
export const cellAnnotation = 'contract-cell';

/**
 * Annotation type of a describe block that is one operation's own spec (`getCustomer`): its tests' findings on that
 * operation come first in a finding's list (their `observed` is the primary customer's value), and a skip reason of its
 * tests is the one coverage quotes for the operation's cells.
 */
export const ownSpecAnnotation = 'contract-spec';

/**
 * Annotation type of a test whose requests are drawn at run time (the generated phase): it names the operation, but not
 * which cells its answers will fall in, so it exercises whatever its records show and excuses no cell when skipped.
 */
export const drawnCellsAnnotation = 'contract-cells-drawn';

/** One operation × documented status, as a test declares it. */
export interface DeclaredCell {
  operation: string;
  status: number;
}

/** What a test declared: its cells, the operations whose own spec it belongs to, and the operations it draws requests for. */
export interface DeclaredIntent {
  cells: DeclaredCell[];
  ownSpecOf: string[];
  drawn: string[];
}

/** The annotation's description for a cell: `getCustomer 404`. */
export function cellDescription(cell: DeclaredCell): string {
  return `${cell.operation} ${cell.status}`;
}

const cellPattern = /^([A-Za-z_][A-Za-z0-9_]*) ([1-5][0-9][0-9])$/;
const operationPattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The intent a test's annotations declare, read by exact annotation type; other annotations are ignored.
 * @throws Error naming a declaration whose description is not `operationId status` (or an operationId): a typo must not be silently ignored.
 */
export function declaredIntent(annotations: ReadonlyArray<{ type: string; description?: string }>): DeclaredIntent {
  const intent: DeclaredIntent = { cells: [], ownSpecOf: [], drawn: [] };
  const seen = new Set<string>();
  for (const { type, description = '' } of annotations) {
    // Playwright may list a describe's annotations on the test and on its result: each declaration counts once.
    const key = JSON.stringify([type, description]);
    if (seen.has(key)) continue;
    if (type === cellAnnotation) {
      const match = cellPattern.exec(description);
      if (!match) throw new Error(`a ${cellAnnotation} annotation must read "operationId status", not ${JSON.stringify(description)}`);
      intent.cells.push({ operation: match[1]!, status: Number(match[2]) });
    } else if (type === ownSpecAnnotation || type === drawnCellsAnnotation) {
      if (!operationPattern.test(description)) throw new Error(`a ${type} annotation must name an operationId, not ${JSON.stringify(description)}`);
      (type === ownSpecAnnotation ? intent.ownSpecOf : intent.drawn).push(description);
    } else continue;
    seen.add(key);
  }
  return intent;
}

/** Whether the test declares this cell. */
export function declaresCell(intent: DeclaredIntent, operation: string, status: number): boolean {
  return intent.cells.some((c) => c.operation === operation && c.status === status);
}

/** How a contract verdict settles its test: skipped as blocked, or failed as throttled or on findings. */
export interface SettledOutcome {
  outcome: 'blocked' | 'throttled' | 'failed';
  /** Why it was blocked or throttled (the record's own reason). */
  reason?: string;
}

/**
 * The outcome a test's records settle it on, one rule for the spec that settles the test (specs/support/verdicts.ts)
 * and the reporter that reports it: a blocked precondition first, then a throttled exchange, then a failed one; none
 * when every record passed or warned. A test stops at the first settlement that is not a pass, so the records before
 * it passed or warned and the rule reads the same over one settlement's records or all of a test's.
 */
export function settledOutcome(records: readonly ContractRecord[]): SettledOutcome | undefined {
  const blocked = records.find((r) => r.outcome === 'blocked');
  if (blocked) return { outcome: 'blocked', reason: blocked.reason ?? 'blocked' };
  const throttled = records.find((r) => r.outcome === 'throttled');
  if (throttled) return { outcome: 'throttled', reason: throttled.reason ?? 'throttled' };
  return records.some((r) => r.outcome === 'failed') ? { outcome: 'failed' } : undefined;
}
