// The reviewed file of accepted findings (CONTRACT_ACCEPTED_FINDINGS): known, agreed deviations the gate reports as warnings until they expire.
import fs from 'node:fs';
import path from 'node:path';
import type * as Yaml from 'yaml';
import { UserError } from './errors';

/** One accepted deviation, as the file states it. */
export interface Acceptance {
  /** The operationId the finding is on (`getCustomer`). */
  operation: string;
  /** A check name (`ignored_auth`, `negative_data_rejection`) or a finding kind (`type`, `auth`, `status-mismatch`). */
  check?: string;
  /** A JSON pointer into the body (`/data/users_count`); `''` for the whole response. */
  pointer?: string;
  /** The status the target answered, when only that answer is accepted. */
  status?: number;
  /** Why the deviation is accepted: required, shown next to the finding in every report. */
  reason: string;
  /** The last day (UTC, `YYYY-MM-DD`) it is accepted; from the day after, the finding fails the gate again. */
  expires: string;
  /** Its place in the file, for messages: `contract/accepted-findings.yaml entry 2`. */
  where: string;
}

/** The accepted findings of a run, and the file they come from (relative to the repository when inside it). */
export interface AcceptedFindings {
  file: string;
  entries: Acceptance[];
}

/**
 * The YAML parser, loaded on first use (~40 modules, 30–100 ms a process): config/settings.ts imports this file in every
 * process that reads a setting, and the gate's workers never read the accepted findings (the reporter does, in the runner).
 */
function yaml(): typeof Yaml {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- deliberately lazy; import() is not usable under Playwright's loader
  return require('yaml') as typeof Yaml;
}

/**
 * True only for the file as the repository ships it: comment lines, blank lines and the one line `accepted: []`, nothing
 * else (no directive, document marker, BOM or control character). The YAML parser reads that as no acceptance too, and loading it costs the gate's
 * runner 30–100 ms before any test starts; every other text, however small, goes to the parser.
 */
export function acceptsNothing(text: string): boolean {
  let accepted = 0;
  for (const line of text.split('\n')) {
    const content = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (/^ *(#[\t\x20-\x7e\u00a0-\ud7ff\ue000-\ufefe\uff00-\ufffd]*)?$/.test(content)) continue;
    if (/^accepted: \[\]( +#[\t\x20-\x7e\u00a0-\ud7ff\ue000-\ufefe\uff00-\ufffd]*)? *$/.test(content)) accepted += 1;
    else return false;
  }
  return accepted === 1;
}

const knownKeys = new Set(['operation', 'check', 'pointer', 'status', 'reason', 'expires']);

/**
 * Reads and checks the file; a missing file is no acceptance when `required` is false (the default path), an error
 * when the user named it. Every mistake (YAML error, unknown key, missing reason, bad date) is one UserError line naming
 * the file, the entry and what to write instead.
 */
export function loadAcceptedFindings(file: string, required: boolean, rootDir: string): AcceptedFindings {
  const shown = displayName(file, rootDir);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (!required && (error as NodeJS.ErrnoException).code === 'ENOENT') return { file: shown, entries: [] };
    throw new UserError(
      `CONTRACT_ACCEPTED_FINDINGS: cannot read ${shown} (${(error as NodeJS.ErrnoException).code ?? String(error)}): give an existing YAML file, or unset it`,
    );
  }
  if (acceptsNothing(text)) return { file: shown, entries: [] };
  const document = yaml().parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    const first = document.errors[0]!;
    const line = first.linePos?.[0]?.line;
    throw new UserError(
      `${shown}${line ? ` line ${line}` : ''} is not valid YAML (${(first.message.split('\n')[0] ?? '').replace(/:$/, '')}): fix the file, e.g. quote a value holding ": "`,
    );
  }
  const root: unknown = document.toJS();
  if (root === null || root === undefined) return { file: shown, entries: [] };
  const list = isRecord(root) && Object.keys(root).length === 1 && 'accepted' in root ? root.accepted : undefined;
  if (list === null) return { file: shown, entries: [] };
  if (!Array.isArray(list)) throw new UserError(`${shown} must hold one key, accepted: a list of entries (operation, check or pointer, reason, expires)`);
  return { file: shown, entries: list.map((entry, index) => parseEntry(entry, `${shown} entry ${index + 1}`)) };
}

function parseEntry(entry: unknown, where: string): Acceptance {
  if (!isRecord(entry)) throw new UserError(`${where} is not a mapping: give operation, check or pointer, reason and expires`);
  const unknown = Object.keys(entry).filter((key) => !knownKeys.has(key));
  if (unknown.length > 0) throw new UserError(`${where}: unknown key ${unknown.join(', ')}: the keys are ${[...knownKeys].join(', ')}`);
  const text = (key: string): string | undefined => {
    const value = entry[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw new UserError(`${where}: ${key} must be text, not ${JSON.stringify(value)}`);
    return value;
  };
  const operation = text('operation')?.trim();
  if (!operation) throw new UserError(`${where}: operation is required (an operationId, e.g. getCustomer)`);
  const check = text('check')?.trim() || undefined;
  const pointer = text('pointer');
  if (pointer !== undefined && pointer !== '' && !pointer.startsWith('/')) {
    throw new UserError(
      `${where}: pointer ${JSON.stringify(pointer)} is not a JSON pointer: start it with "/", e.g. /data/users_count ("" for the whole response)`,
    );
  }
  if (check === undefined && pointer === undefined)
    throw new UserError(`${where}: give check (e.g. ignored_auth) or pointer (e.g. /data/users_count), or both`);
  let status: number | undefined;
  if (entry.status !== undefined && entry.status !== null) {
    if (typeof entry.status !== 'number' || !Number.isInteger(entry.status) || entry.status < 100 || entry.status > 599) {
      throw new UserError(`${where}: status must be an HTTP status from 100 to 599, not ${JSON.stringify(entry.status)}`);
    }
    status = entry.status;
  }
  const reason = text('reason')?.trim();
  if (!reason) throw new UserError(`${where}: reason is required: say why this deviation is accepted and who agreed it`);
  const expires = expirySetting(entry.expires, where);
  return {
    operation,
    ...(check !== undefined ? { check } : {}),
    ...(pointer !== undefined ? { pointer } : {}),
    ...(status !== undefined ? { status } : {}),
    reason,
    expires,
    where,
  };
}

/** `YYYY-MM-DD`, a real calendar day. */
function expirySetting(value: unknown, where: string): string {
  if (value === undefined || value === null || value === '') throw new UserError(`${where}: expires is required: the last day it is accepted, as YYYY-MM-DD`);
  const day = value instanceof Date ? value.toISOString().slice(0, 10) : typeof value === 'string' ? value.trim() : undefined;
  const match = day === undefined ? null : /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  const parsed = match ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))) : undefined;
  if (!match || !parsed || parsed.toISOString().slice(0, 10) !== day) {
    throw new UserError(`${where}: expires ${JSON.stringify(value)} is not a date: give the last day it is accepted, as YYYY-MM-DD (e.g. 2027-03-31)`);
  }
  return day;
}

/** Whether an acceptance has expired on `now`: it holds through its expiry day (UTC). */
export function acceptanceExpired(acceptance: Pick<Acceptance, 'expires'>, now: Date): boolean {
  return now.toISOString().slice(0, 10) > acceptance.expires;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function displayName(file: string, rootDir: string): string {
  const relative = path.relative(rootDir, file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative.split(path.sep).join('/') : file;
}
