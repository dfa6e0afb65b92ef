// One policy for settings: every known API_/CONTRACT_/MONITOR_/PROBE_/SIMULATOR_ variable, the typo check, and the number parsers.
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from './errors';

export type Env = Readonly<Record<string, string | undefined>>;

/** The target's variables (gate and exporter; the gate-only ones are marked), with what each means. README's configuration table is written from these. */
export const targetVariables = {
  API_BASE_URL: 'base URL including /v2/integrations; unset → the embedded simulator is started and used',
  API_CUSTOMER_ID: 'an existing customer',
  API_TOKEN: "that customer's token",
  API_TOKEN_FILE: "a file holding that customer's token (instead of API_TOKEN)",
  API_AUTH_SCHEME: 'Authorization scheme, default Bearer; `none` sends the raw token',
  API_MISSING_CUSTOMER_ID: "gate only, optional; an id that doesn't exist (default: an id that can't exist)",
  API_OTHER_CUSTOMER_ID: "gate only, optional; another tenant's existing customer id, for the cross-tenant check",
  API_ALLOW_DELETE: 'gate only; opt-in (1/true) for the destructive DELETE spec against a real target',
  API_DELETE_CUSTOMER_ID: 'gate only; the dedicated disposable customer the DELETE spec deletes',
  API_DELETE_TOKEN: "gate only; that disposable customer's token",
  API_DELETE_TOKEN_FILE: "gate only; a file holding that disposable customer's token (instead of API_DELETE_TOKEN)",
  CONTRACT_READ_ONLY: 'read-only run (1/true): DELETE never runs and the disposable credential is dropped, whatever API_ALLOW_DELETE says; `npm run drift` sets it',
} as const;

/** The API_* variables the exporter reads (the base target); the rest of `targetVariables` are the gate's. */
export const baseTargetVariableNames = ['API_BASE_URL', 'API_CUSTOMER_ID', 'API_TOKEN', 'API_TOKEN_FILE', 'API_AUTH_SCHEME'] as const;

/** The contract gate's own settings (playwright.config.ts). */
export const gateVariables = {
  CONTRACT_WORKERS: 'Playwright workers, a whole number from 1 to 16; default 1',
  CONTRACT_REPORTS_DIR: 'where reports go, relative to the repository; default reports/',
  CONTRACT_BODY_LIMIT_BYTES: 'largest response body the credential relay passes on, 1024..1073741824 bytes; default 8388608 (8 MiB)',
} as const;

/** The exporter's own variables, with what each means and its default. */
export const exporterVariables = {
  PROBE_INTERVAL_SECONDS: 'seconds between probes of one target×operation, fractions allowed, at most 86400 (24 h); default 30',
  PROBE_TIMEOUT_SECONDS: 'seconds before a probe is abandoned as reason="timeout"; must be < the interval; default 10',
  PROBE_JITTER_SECONDS: 'random spread added to each interval (±half) and to the first probe; default 10 % of the interval',
  PROBE_BODY_LIMIT_BYTES: 'largest response body read; a bigger one aborts the probe as reason="other"; default 1048576 (1 MiB)',
  MONITOR_PORT: 'port for /metrics, /probe, /healthz and the status page, 0..65535 (0 = any free port); default 9464',
  MONITOR_HOST: 'interface to listen on, an address of this machine; default 0.0.0.0 (Prometheus usually scrapes from another host)',
  MONITOR_TARGETS_FILE: 'optional YAML listing several targets (see monitors/exporter/README.md); replaces the API_* target',
  MONITOR_WEB_CONFIG_FILE: 'optional exporter-toolkit web config YAML (TLS, basic auth); same as --web.config.file',
} as const;

/** The simulator's variables (simulator/cli.ts; SIMULATOR_MODE also picks the gate's embedded simulator's mode). */
export const simulatorVariables = {
  SIMULATOR_PORT: 'port to listen on, 0..65535 (0 = any free port); default 4010',
  SIMULATOR_HOST: 'interface to listen on; default 127.0.0.1',
  SIMULATOR_MODE: 'behaviour mode (see simulator/modes.ts); default faithful',
  SIMULATOR_LATENCY_MS: "delay before every response in milliseconds; default 0 (or the mode's default)",
  SIMULATOR_ERROR_RATE: "fraction 0..1 of requests answering 500; default 0 (or the mode's default)",
  SIMULATOR_RATE_LIMIT_PER_MINUTE: 'requests allowed per 60 s before 429; default unlimited',
} as const;

/** Every known variable of the five prefixes, with what it means. */
export const knownVariables: Readonly<Record<string, string>> = { ...targetVariables, ...gateVariables, ...exporterVariables, ...simulatorVariables };

/** The prefixes whose variables this project owns: a near-miss of a known name is a typo that would silently change a run. */
export const settingPrefixes = ['API_', 'CONTRACT_', 'MONITOR_', 'PROBE_', 'SIMULATOR_'] as const;

/** Internal handoff from the run to its workers (e.g. CONTRACT_SUITE_SIMULATOR, CONTRACT_SUITE_RELAY): set by the suite, never a typo. */
export const internalPrefix = 'CONTRACT_SUITE_';

/** Whether a variable name is one of ours (known or internal). */
export function isKnownVariable(name: string): boolean {
  return Object.hasOwn(knownVariables, name) || name.startsWith(internalPrefix);
}

/** The closest known variable within edit distance 2, if any. */
export function nearestKnownVariable(name: string): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const known of Object.keys(knownVariables)) {
    const distance = editDistance(known, name);
    if (distance <= 2 && (!best || distance < best.distance)) best = { name: known, distance };
  }
  return best?.name;
}

/** What the exporter does with its own prefixes: any unknown name there is refused, near-miss or not. */
export interface StrictPrefixes {
  prefixes: ReadonlyArray<string>;
  /** Whose variables these are, for the message, e.g. "the exporter's". */
  owner: string;
}

/**
 * The one typo check. An unknown variable with one of our prefixes (in any letter case) that is within edit distance 2
 * of a known one is refused with "unknown variable X: did you mean Y?"; under `strict` prefixes every unknown one is.
 */
export function unknownVariableProblems(env: Env, strict?: StrictPrefixes): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(env).sort()) {
    if (env[key] === undefined || isKnownVariable(key)) continue;
    const upper = key.toUpperCase();
    if (!settingPrefixes.some((prefix) => upper.startsWith(prefix))) continue;
    const near = isKnownVariable(upper) ? upper : nearestKnownVariable(upper);
    if (near) {
      problems.push(`unknown variable ${key}: did you mean ${near}?`);
    } else if (strict?.prefixes.some((prefix) => key.startsWith(prefix))) {
      const known = Object.keys(knownVariables).filter((name) => strict.prefixes.some((prefix) => name.startsWith(prefix)));
      problems.push(`unknown variable ${key}: ${strict.prefixes.map((p) => `${p}*`).join(' and ')} are ${strict.owner} variables and it is not one (known: ${known.join(', ')})`);
    }
  }
  return problems;
}

/** Throws one UserError when `unknownVariableProblems` finds any. */
export function rejectUnknownVariables(env: Env, strict?: StrictPrefixes): void {
  const problems = unknownVariableProblems(env, strict);
  if (problems.length > 0) throw new UserError(problems.join('; '));
}

/** A numeric setting's rule: whole number or not, and its range. */
export interface NumberRule {
  integer: boolean;
  min: number;
  max: number;
  /** When set, `min` itself is not allowed (e.g. "greater than 0"). */
  minExclusive?: boolean;
}

const decimalPattern = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const integerPattern = /^\+?\d+$/;

/** The rule as words, e.g. "a whole number from 1 to 16" or "a number greater than 0 and at most 86400". */
export function describeRule(rule: NumberRule): string {
  const what = rule.integer ? 'a whole number' : 'a number';
  const low = rule.minExclusive ? `greater than ${rule.min}` : `from ${rule.min}`;
  if (!Number.isFinite(rule.max)) return rule.minExclusive ? `${what} ${low}` : `${what} of ${rule.min} or more`;
  return rule.minExclusive ? `${what} ${low} and at most ${rule.max}` : `${what} ${low} to ${rule.max}`;
}

/** Parses a numeric setting the one way: unset or blank → undefined; anything outside the rule → a problem naming the variable. */
export function numberSetting(raw: string | undefined, key: string, rule: NumberRule, problems: string[]): number | undefined {
  const text = raw?.trim();
  if (!text) return undefined;
  const value = Number(text);
  const shaped = rule.integer ? integerPattern.test(text) : decimalPattern.test(text);
  const inRange = Number.isFinite(value) && (rule.minExclusive ? value > rule.min : value >= rule.min) && value <= rule.max;
  if (!shaped || !inRange) {
    problems.push(`${key} must be ${describeRule(rule)}, not ${JSON.stringify(raw)}`);
    return undefined;
  }
  return value;
}

/** A number of seconds (or other unit) greater than 0, at most `max`. */
export function positiveNumber(raw: string | undefined, key: string, problems: string[], max = Number.POSITIVE_INFINITY): number | undefined {
  return numberSetting(raw, key, { integer: false, min: 0, minExclusive: true, max }, problems);
}

/** A number of 0 or more, at most `max`. */
export function nonNegativeNumber(raw: string | undefined, key: string, problems: string[], max = Number.POSITIVE_INFINITY): number | undefined {
  return numberSetting(raw, key, { integer: false, min: 0, max }, problems);
}

/** A whole number from `min` to `max`. */
export function integer(raw: string | undefined, key: string, min: number, max: number, problems: string[]): number | undefined {
  return numberSetting(raw, key, { integer: true, min, max }, problems);
}

/** A 1/true or 0/false switch; unset or blank is false; anything else is a problem (never guessed). */
export function flagSetting(raw: string | undefined, key: string, problems: string[]): boolean {
  const value = raw?.trim().toLowerCase();
  if (!value || value === '0' || value === 'false') return false;
  if (value === '1' || value === 'true') return true;
  problems.push(`${key} must be 1/true or 0/false, not ${JSON.stringify(raw)}`);
  return false;
}

/** The limits the gate's settings are checked against. */
export const gateLimits = {
  workers: { integer: true, min: 1, max: 16 },
  bodyLimitBytes: { integer: true, min: 1024, max: 1024 * 1024 * 1024 },
} as const satisfies Record<string, NumberRule>;

/** The gate's settings' defaults. */
export const gateDefaults = {
  workers: 1,
  reportsDir: 'reports',
  bodyLimitBytes: 8 * 1024 * 1024,
} as const;

/** The contract gate's settings (playwright.config.ts; the credential relay reads bodyLimitBytes). */
export interface GateSettings {
  workers: number;
  /** Absolute path. */
  reportsDir: string;
  bodyLimitBytes: number;
}

const repoRoot = path.resolve(__dirname, '..');

/**
 * Reads and checks the gate's settings and refuses a typo in any of our variables; throws one UserError naming everything
 * that is wrong. `rootDir` is what a relative CONTRACT_REPORTS_DIR is relative to (the repository).
 */
export function loadGateSettings(env: Env = process.env, rootDir: string = repoRoot): GateSettings {
  rejectUnknownVariables(env);
  const problems: string[] = [];
  const workers = numberSetting(env.CONTRACT_WORKERS, 'CONTRACT_WORKERS', gateLimits.workers, problems) ?? gateDefaults.workers;
  const bodyLimitBytes = numberSetting(env.CONTRACT_BODY_LIMIT_BYTES, 'CONTRACT_BODY_LIMIT_BYTES', gateLimits.bodyLimitBytes, problems) ?? gateDefaults.bodyLimitBytes;
  const reportsDir = reportsDirSetting(env.CONTRACT_REPORTS_DIR, rootDir, problems);
  // The switches that decide whether a DELETE is sent: a bad value stops the run here too, before anything starts.
  flagSetting(env.CONTRACT_READ_ONLY, 'CONTRACT_READ_ONLY', problems);
  flagSetting(env.API_ALLOW_DELETE, 'API_ALLOW_DELETE', problems);
  if (problems.length > 0) throw new UserError(problems.join('; '));
  return { workers, reportsDir, bodyLimitBytes };
}

function reportsDirSetting(raw: string | undefined, rootDir: string, problems: string[]): string {
  if (raw === undefined) return path.resolve(rootDir, gateDefaults.reportsDir);
  const text = raw.trim();
  // An empty value would resolve to the repository itself, which the reporters would then write into.
  if (!text) {
    problems.push('CONTRACT_REPORTS_DIR is set but empty: unset it for reports/, or give a folder');
    return rootDir;
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(text)) {
    problems.push(`CONTRACT_REPORTS_DIR ${JSON.stringify(raw)} contains a control character: give a plain folder path`);
    return rootDir;
  }
  const dir = path.resolve(rootDir, text);
  const back = path.relative(dir, rootDir);
  if (back === '' || !back.startsWith('..')) {
    problems.push(`CONTRACT_REPORTS_DIR ${JSON.stringify(raw)} is the repository, a folder above it or a filesystem root: give a folder of its own, e.g. reports/`);
    return dir;
  }
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(dir);
  } catch {
    stat = undefined;
  }
  if (stat && !stat.isDirectory()) problems.push(`CONTRACT_REPORTS_DIR names ${dir}, which is a file, not a folder: give a folder`);
  return dir;
}

/** Levenshtein distance. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}
