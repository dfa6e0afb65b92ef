// The failure database: generated inputs that failed the gate on some seed, saved to a file the user commits and replayed first on every later run.
//
// A bug found once by exploration (CONTRACT_SEED=random, or another seed) stays found on the deterministic default seed:
// every run sends the saved inputs of a test before its own examples. Entries are added by the gate; people prune them
// (docs/gate-rules.md, "The failure database"): delete an entry, or the file, once the bug it records is fixed for good.
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../config/errors';
import type { GeneratedCase } from './generators';

/** The file's format tag. */
export const failureDbFormat = 'contract-failure-db/1';

/** Placeholders that keep an entry independent of the run's configured ids. */
const idPlaceholders = { customer: '{customer_id}', disposable: '{delete_customer_id}' } as const;

/** One saved failure: the test it failed in, the input (ids as placeholders), when and why. */
export interface FailureEntry {
  /** The generated test's key: `getCustomerUsage negative`. */
  test: string;
  case: GeneratedCase;
  /** The run seed that found it. */
  seed: number;
  /** The day it was found (YYYY-MM-DD). */
  found: string;
  /** The first finding's message, for the person pruning the file. */
  finding: string;
}

export interface FailureDb {
  format: typeof failureDbFormat;
  note: string;
  entries: FailureEntry[];
}

const note =
  'Generated inputs that failed the contract gate, replayed first on every run (contract/failure-db.ts). Commit this file; delete an entry once its bug is fixed for good (docs/gate-rules.md).';

function isCase(value: unknown): value is GeneratedCase {
  const c = value as Partial<GeneratedCase> | null;
  return (
    !!c &&
    typeof c === 'object' &&
    typeof c.operation === 'string' &&
    typeof c.method === 'string' &&
    typeof c.customerSegment === 'string' &&
    Array.isArray(c.query) &&
    c.query.every((pair) => Array.isArray(pair) && pair.length === 2 && pair.every((part) => typeof part === 'string')) &&
    (c.credential === 'primary' || c.credential === 'disposable' || c.credential === 'none') &&
    typeof c.expect === 'string' &&
    typeof c.why === 'string'
  );
}

/**
 * Reads the database; a missing file is an empty one.
 * @throws UserError naming the file and what is wrong with it (not JSON, not this format, an entry without its fields).
 */
export function readFailureDb(file: string): FailureDb {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { format: failureDbFormat, note, entries: [] };
    throw new UserError(`CONTRACT_FAILURE_DB ${file} cannot be read (${(error as Error).message}): fix its permissions, or set CONTRACT_FAILURE_DB=0`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UserError(
      `CONTRACT_FAILURE_DB ${file} is not JSON (${(error as Error).message}): fix it (a merge conflict?) or delete it; it is rebuilt as failures are found`,
    );
  }
  const db = parsed as Partial<FailureDb> | null;
  if (!db || typeof db !== 'object' || db.format !== failureDbFormat || !Array.isArray(db.entries)) {
    throw new UserError(`CONTRACT_FAILURE_DB ${file} is not a failure database (${failureDbFormat} with an "entries" list): fix it or delete it`);
  }
  db.entries.forEach((entry, i) => {
    const e = entry as Partial<FailureEntry> | null;
    if (!e || typeof e.test !== 'string' || !isCase(e.case) || typeof e.seed !== 'number')
      throw new UserError(`CONTRACT_FAILURE_DB ${file}: entry ${i + 1} needs "test", "seed" and a generated "case": fix or delete that entry`);
  });
  return { format: failureDbFormat, note: typeof db.note === 'string' ? db.note : note, entries: db.entries };
}

/** The ids a case names, as the run's configured ones. */
export interface CaseIds {
  customerId: string;
  deleteCustomerId: string | undefined;
}

const encode = (id: string): string => encodeURIComponent(id);

/** A case as saved: the configured ids replaced by placeholders. */
function toSaved(generated: GeneratedCase, ids: CaseIds): GeneratedCase {
  const segment =
    generated.customerSegment === encode(ids.customerId)
      ? idPlaceholders.customer
      : ids.deleteCustomerId !== undefined && generated.customerSegment === encode(ids.deleteCustomerId)
        ? idPlaceholders.disposable
        : generated.customerSegment;
  return { ...generated, customerSegment: segment };
}

/** A saved case for this run: placeholders replaced by the configured ids; undefined when it needs an id this run lacks. */
export function fromSaved(saved: GeneratedCase, ids: CaseIds): GeneratedCase | undefined {
  if (saved.customerSegment === idPlaceholders.customer) return { ...saved, customerSegment: encode(ids.customerId) };
  if (saved.customerSegment === idPlaceholders.disposable)
    return ids.deleteCustomerId === undefined ? undefined : { ...saved, customerSegment: encode(ids.deleteCustomerId) };
  return saved;
}

/** The saved cases of one test, for this run's ids. */
export function savedCases(file: string, test: string, ids: CaseIds): GeneratedCase[] {
  return readFailureDb(file)
    .entries.filter((entry) => entry.test === test)
    .map((entry) => fromSaved(entry.case, ids))
    .filter((c): c is GeneratedCase => c !== undefined);
}

/**
 * Adds failures to the database, once each (an equal case of the same test is not added again). Read, merged and written
 * through a temporary file and a rename, so a reader never sees half a file. Returns how many entries were new.
 */
export function saveFailures(file: string, failures: ReadonlyArray<Omit<FailureEntry, 'found'>>, ids: CaseIds): number {
  if (failures.length === 0) return 0;
  const db = readFailureDb(file);
  const key = (test: string, c: GeneratedCase): string => `${test}\u0000${JSON.stringify(c)}`;
  const known = new Set(db.entries.map((entry) => key(entry.test, entry.case)));
  const found = new Date().toISOString().slice(0, 10);
  let added = 0;
  for (const failure of failures) {
    const saved = toSaved(failure.case, ids);
    if (known.has(key(failure.test, saved))) continue;
    known.add(key(failure.test, saved));
    db.entries.push({ test: failure.test, case: saved, seed: failure.seed, found, finding: failure.finding });
    added += 1;
  }
  if (added === 0) return 0;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(db, null, 2)}\n`);
  fs.renameSync(temporary, file);
  return added;
}
