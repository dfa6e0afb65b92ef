// The coverage matrix: each documented operation × status, from the records (which cells were answered or asked for) and the tests' declared cells (which a skipped, blocked or throttled test excuses).
import { declaresCell, type ContractOutline, type RunFacts } from '../contract';
import { code, escapeCell, type RunVerdict, type TestVerdict } from './verdict-reports';

export type CellState = 'exercised' | 'probed' | 'missing' | 'blocked' | 'throttled' | 'skipped' | 'simulator-only' | 'read-only' | 'unprovoked';

/** One operation × documented status of the coverage matrix. */
export interface CoverageCell {
  operation: string;
  method: string;
  path: string;
  status: number;
  simulatorOnly: boolean;
  unprovoked: boolean;
  /** Some exchange was answered with this status (whatever its test's outcome). */
  exercised: boolean;
  state: CellState;
  /** Why a cell that was not answered is covered, excused or missing. */
  reason?: string;
  /** Tests with an exchange answered with this status. */
  tests: string[];
  /** Tests that sent a request expecting this status. */
  probedBy: string[];
}

/** coverage.json. */
export interface CoverageReport {
  target: RunFacts['target'];
  readOnly: boolean;
  generatedAt: string;
  enforced: boolean;
  notEnforcedBecause: string[];
  summary: { documented: number; required: number; exercised: number; probed: number; missing: number; notRequired: number };
  cells: CoverageCell[];
}

/** Methods a read-only run may send; any other operation's cells are `read-only`. */
const safeMethods = new Set(['get', 'head', 'options']);

/** A test that sent nothing for the cells it declares, and why: skipped with a stated reason, blocked, or throttled. */
interface Excuse {
  verdict: TestVerdict;
  state: 'blocked' | 'throttled' | 'skipped';
  reason: string;
}

/** The tests that may excuse their declared cells: blocked and throttled ones, and those skipped with a stated reason. */
function excuses(verdicts: readonly TestVerdict[]): Excuse[] {
  const out: Excuse[] = [];
  for (const verdict of verdicts) {
    if (verdict.outcome === 'blocked') out.push({ verdict, state: 'blocked', reason: verdict.reason ?? 'blocked' });
    else if (verdict.outcome === 'throttled') out.push({ verdict, state: 'throttled', reason: verdict.reason ?? 'throttled' });
    // test.fixme() and a bare test.skip() are deliberate but unexplained: they excuse nothing.
    else if (verdict.outcome === 'skipped' && verdict.reason) out.push({ verdict, state: 'skipped', reason: verdict.reason });
  }
  return out;
}

/**
 * The excuse for one cell: of the tests declaring it that sent nothing, one of the operation's own spec first (its skip
 * reason names what turns the operation on), then in suite order.
 */
function excuseFor(all: readonly Excuse[], operation: string, status: number): Excuse | undefined {
  const own = (e: Excuse): number => (e.verdict.intent.ownSpecOf.includes(operation) ? 0 : 1);
  return all.filter((e) => declaresCell(e.verdict.intent, operation, status)).sort((a, b) => own(a) - own(b) || a.verdict.order - b.verdict.order)[0];
}

/** Every documented cell's state in this run. */
export function coverageCells(contract: ContractOutline, verdicts: readonly TestVerdict[], facts: RunFacts): CoverageCell[] {
  const cells: CoverageCell[] = [];
  const exchanges = verdicts.flatMap((v) => v.records.map((record) => ({ test: v.title, record })));
  const excused = excuses(verdicts);
  for (const operation of contract.operations.values()) {
    for (const response of [...operation.responses.values()].sort((a, b) => a.status - b.status)) {
      const mine = exchanges.filter(({ record }) => record.operation === operation.operationId);
      const tests = [...new Set(mine.filter(({ record }) => record.status === response.status).map(({ test }) => test))];
      const probedBy = [...new Set(mine.filter(({ record }) => record.expectedStatus === response.status && record.status !== 0).map(({ test }) => test))];
      const cell: CoverageCell = {
        operation: operation.operationId,
        method: operation.method.toUpperCase(),
        path: operation.path,
        status: response.status,
        simulatorOnly: response.simulatorOnly,
        unprovoked: response.unprovoked,
        exercised: tests.length > 0,
        state: 'exercised',
        tests,
        probedBy,
      };
      // A test that sent nothing excuses the cells it declares (a `contract-cell` annotation), never what its title says.
      const excuse = excuseFor(excused, operation.operationId, response.status);
      const answers = [...new Set(mine.filter(({ record }) => record.expectedStatus === response.status).map(({ record }) => record.status))];
      if (cell.exercised) cell.state = 'exercised';
      else if (probedBy.length > 0)
        Object.assign(cell, {
          state: 'probed',
          reason: `${probedBy.length} test(s) sent a request expecting it; answered ${answers.join(', ')} instead (see drift.md)`,
        });
      else if (response.unprovoked)
        Object.assign(cell, { state: 'unprovoked', reason: 'x-unprovoked: no test provokes it; judged whenever a target answers it' });
      else if (facts.readOnly && !safeMethods.has(operation.method))
        Object.assign(cell, { state: 'read-only', reason: `read-only run: ${cell.method} is never sent` });
      else if (facts.target === 'remote' && response.simulatorOnly)
        Object.assign(cell, { state: 'simulator-only', reason: 'x-simulator-only: cannot be provoked on a real target, not required' });
      // A blocked or throttled test sent nothing for its cell: a precondition broke (its finding says why), or the rate limit.
      else if (excuse?.state === 'blocked') Object.assign(cell, { state: 'blocked', reason: excuse.reason });
      else if (excuse?.state === 'throttled') Object.assign(cell, { state: 'throttled', reason: excuse.reason });
      // Against the simulator every cell is reachable, so only a real target (or a read-only run) may skip one.
      else if (excuse && (facts.target === 'remote' || facts.readOnly)) Object.assign(cell, { state: 'skipped', reason: `skipped: ${excuse.reason}` });
      else Object.assign(cell, { state: 'missing', reason: 'documented and reachable, but no test sent a request for it' });
      cells.push(cell);
    }
  }
  return cells;
}

/** The cells a run must cover: every cell not excused by the target, the run or a test that sent nothing. */
export function requiredCells(cells: readonly CoverageCell[]): CoverageCell[] {
  return cells.filter((c) => c.state === 'exercised' || c.state === 'probed' || c.state === 'missing');
}

/** coverage.json's content; `notEnforced` lists why the run is not held to it (filtered or incomplete), empty when it is. */
export function coverageReport(cells: CoverageCell[], facts: RunFacts, generatedAt: string, notEnforced: string[]): CoverageReport {
  const required = requiredCells(cells);
  return {
    target: facts.target,
    readOnly: facts.readOnly,
    generatedAt,
    enforced: notEnforced.length === 0,
    notEnforcedBecause: notEnforced,
    summary: {
      documented: cells.length,
      required: required.length,
      exercised: cells.filter((c) => c.exercised).length,
      probed: cells.filter((c) => c.state === 'probed').length,
      missing: cells.filter((c) => c.state === 'missing').length,
      notRequired: cells.length - required.length,
    },
    cells,
  };
}

/** `contract coverage 12/13 (not enforced: --grep)`: the line the terminal and summary.md carry. */
export function coverageLine(cells: readonly CoverageCell[], notEnforced: readonly string[]): string {
  const required = requiredCells(cells);
  const covered = required.filter((c) => c.state !== 'missing');
  return `contract coverage ${covered.length}/${required.length}${notEnforced.length > 0 ? ` (not enforced: ${notEnforced.join('; ')})` : ''}`;
}

/** coverage.md: the matrix, a legend, and every cell that was not answered with its reason. */
export function coverageMarkdown(verdict: RunVerdict, generatedAt: string, cells: ReadonlyArray<CoverageCell>, notEnforced: ReadonlyArray<string>): string {
  const required = requiredCells(cells);
  const missing = cells.filter((c) => c.state === 'missing');
  const verdictText =
    missing.length === 0
      ? 'complete'
      : notEnforced.length > 0
        ? `${missing.length} cell(s) not exercised, not enforced (${notEnforced.join('; ')})`
        : `${missing.length} cell(s) never exercised`;
  const statuses = [...new Set(cells.map((c) => c.status))].sort((a, b) => a - b);
  const operations = [...new Set(cells.map((c) => c.operation))];
  const where = `${verdict.facts.target === 'remote' ? 'remote target' : 'simulator'}${verdict.facts.readOnly ? ', read-only run' : ''}`;
  const lines = [
    `**Contract coverage ${required.filter((c) => c.state !== 'missing').length}/${required.length}: ${verdictText}** (${where}, ${generatedAt})`,
    '',
    `| operation | ${statuses.join(' | ')} |`,
    `|---|${statuses.map(() => '---').join('|')}|`,
  ];
  const label: Record<CellState, (c: CoverageCell) => string> = {
    exercised: (c) => `exercised (${c.tests.length})`,
    probed: (c) => `probed (${c.probedBy.length}), answered otherwise`,
    missing: () => '**MISSING**',
    blocked: () => 'blocked',
    throttled: () => 'throttled',
    skipped: () => 'skipped',
    'simulator-only': () => 'simulator-only',
    'read-only': () => 'read-only run',
    unprovoked: () => 'not provoked',
  };
  for (const operation of operations) {
    const row = cells.filter((c) => c.operation === operation);
    const first = row[0];
    const heading = first ? `${operation} ${code(`${first.method} ${first.path}`)}` : operation;
    lines.push(
      `| ${heading} | ${statuses
        .map((s) => {
          const c = row.find((r) => r.status === s);
          return c ? label[c.state](c) : '';
        })
        .join(' | ')} |`,
    );
  }
  lines.push(
    '',
    'Cells: exercised (tests answered with it) · probed (tests sent a request expecting it and got another answer: see drift.md) · **MISSING** documented and reachable, no test sent a request for it · blocked (a precondition of its test broke) · throttled (429) · skipped (by a stated reason) · simulator-only (x-simulator-only, not required against a real target) · not provoked (x-unprovoked) · read-only run · blank: not documented.',
  );
  const unexercised = cells.filter((c) => !c.exercised);
  if (unexercised.length > 0) {
    lines.push('', '### Not answered', '', '| operation | status | state | reason |', '|---|---|---|---|');
    for (const c of unexercised) lines.push(`| ${c.operation} | ${c.status} | ${c.state} | ${escapeCell(c.reason ?? '')} |`);
  }
  return `${lines.join('\n')}\n`;
}
