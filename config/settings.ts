// One policy for settings: every known API_/CONTRACT_/MONITOR_/PROBE_/SIMULATOR_ variable, the typo check, and the number parsers.
import fs from 'node:fs';
import path from 'node:path';
import { loadAcceptedFindings, type AcceptedFindings } from './accepted-findings';
import { UserError } from './errors';

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * How a variable is documented, beside its declaration: `--help` prints "meaning; default X", and `npm run docs:config`
 * writes the README configuration tables from the same fields.
 */
export interface VariableDoc {
  /** What it is, in one line. */
  readonly meaning: string;
  /** Its default in words, when it has one. */
  readonly default?: string;
  /** More for the README table only, where --help has no room; shown in parentheses after the meaning. */
  readonly readme?: string;
}

/** The one-line texts `--help` prints: "meaning; default X". */
function helpTexts<T extends Readonly<Record<string, VariableDoc>>>(docs: T): { readonly [K in keyof T]: string } {
  return Object.fromEntries(
    Object.entries(docs).map(([name, doc]) => [name, doc.default === undefined ? doc.meaning : `${doc.meaning}; default ${doc.default}`]),
  ) as { readonly [K in keyof T]: string };
}

/** A numeric setting's rule: whole number or not, and its range. */
export interface NumberRule {
  integer: boolean;
  min: number;
  max: number;
  /** When set, `min` itself is not allowed (e.g. "greater than 0"). */
  minExclusive?: boolean;
}

/** The limits the gate's settings are checked against. */
export const gateLimits = {
  workers: { integer: true, min: 1, max: 16 },
  bodyLimitBytes: { integer: true, min: 1024, max: 1024 * 1024 * 1024 },
  seed: { integer: true, min: 0, max: 2 ** 31 - 1 },
  examples: { integer: true, min: 0, max: 10_000 },
  maxRps: { integer: false, min: 0, minExclusive: true, max: 1000 },
  maxRequestsPerMinute: { integer: true, min: 1, max: 100_000 },
  concurrency: { integer: true, min: 1, max: 16 },
} as const satisfies Record<string, NumberRule>;

/** The gate's settings' defaults. */
export const gateDefaults = {
  workers: 1,
  reportsDir: 'reports',
  bodyLimitBytes: 8 * 1024 * 1024,
  /**
   * One per category of input (a test draws at least one example of each): on every seed measured, more examples caught
   * no more simulator modes (`npm run mutation-score -- --examples 1,15`, docs/gate.md).
   */
  examples: 1,
  maxRps: 10,
  /** Generated requests in flight at once against a real target (a DELETE always goes alone). */
  concurrency: 4,
  /** … and against the embedded simulator, which no budget limits. */
  simulatorConcurrency: 8,
  /** Well inside the 200 a minute the vendor states for its Voice APIs (none is documented for this API). */
  maxRequestsPerMinute: 150,
  acceptedFindings: 'contract/accepted-findings.yaml',
} as const;

/** The limits the simulator CLI's settings are checked against. */
export const simulatorLimits = {
  port: { integer: true, min: 0, max: 65_535 },
  latencyMs: { integer: true, min: 0, max: 3_600_000 },
  errorRate: { integer: false, min: 0, max: 1 },
  rateLimitPerMinute: { integer: true, min: 1, max: 1_000_000 },
} as const satisfies Record<string, NumberRule>;

/** The simulator CLI's defaults (`npm run simulator`). */
export const simulatorDefaults = {
  port: 4010,
  host: '127.0.0.1',
} as const;

/** The limits the exporter's settings are checked against. */
export const exporterLimits = {
  /** A probe less often than daily is not monitoring, and a typo in seconds (e.g. 3000000) is caught. */
  intervalSeconds: { integer: false, min: 0, minExclusive: true, max: 86_400 },
  timeoutSeconds: { integer: false, min: 0, minExclusive: true, max: 86_400 },
  jitterSeconds: { integer: false, min: 0, max: 86_400 },
  bodyLimitBytes: { integer: true, min: 1, max: 1024 * 1024 * 1024 },
  port: { integer: true, min: 0, max: 65_535 },
} as const satisfies Record<string, NumberRule>;

/** The exporter's defaults (`npm run monitor`, and startExporter's options). */
export const exporterDefaults = {
  intervalSeconds: 30,
  /** The timeout's ceiling: the default timeout is this or half the interval, whichever is less. */
  timeoutSeconds: 10,
  /** The jitter as a share of the interval. */
  jitterShare: 0.1,
  bodyLimitBytes: 1024 * 1024,
  port: 9464,
  host: '0.0.0.0',
} as const;

/** The target's variables (gate and exporter; the gate-only ones are marked), documented. */
export const targetVariableDocs = {
  API_BASE_URL: {
    meaning:
      'base URL including `/v2/integrations`, e.g. `https://integrationscore.mum1.exotel.com/v2/integrations`; unset: the embedded simulator is started on a free port and used',
  },
  API_CUSTOMER_ID: { meaning: 'an existing customer', readme: 'one path segment: see the id rules below' },
  API_TOKEN: { meaning: "that customer's token", readme: 'one line, no whitespace or control character inside' },
  API_TOKEN_FILE: { meaning: "a file holding that customer's token, trimmed (instead of API_TOKEN)" },
  API_AUTH_SCHEME: { meaning: 'Authorization scheme; `none` sends the raw token', default: 'Bearer' },
  API_MISSING_CUSTOMER_ID: { meaning: "gate only, optional; an id that doesn't exist", default: "an id that can't exist" },
  API_OTHER_CUSTOMER_ID: { meaning: "gate only, optional; another tenant's existing customer id, for the cross-tenant check" },
  API_ALLOW_DELETE: {
    meaning: 'gate only; `1` opts in to the destructive DELETE spec against a real target',
    default: '0',
    readme: '`npm run monitor` ignores it: it only sends GETs',
  },
  API_DELETE_CUSTOMER_ID: { meaning: 'gate only; the dedicated disposable customer the DELETE spec deletes' },
  API_DELETE_TOKEN: { meaning: "gate only; that disposable customer's own token, never API_TOKEN" },
  API_DELETE_TOKEN_FILE: { meaning: "gate only; a file holding that disposable customer's token (instead of API_DELETE_TOKEN)" },
  API_ALLOW_INSECURE_HTTP: {
    meaning: '`1`: allow an `http://` API_BASE_URL (or exporter target) whose host is not loopback, sending the token in clear text; the opt-in is printed',
    default: '0',
    readme: 'without it such a URL is refused; `localhost`, 127.0.0.0/8 and `::1` are always allowed',
  },
  CONTRACT_READ_ONLY: {
    meaning: '`1`: a read-only run, DELETE never runs and the disposable credential is dropped, whatever API_ALLOW_DELETE says; `npm run drift` sets it',
    default: '0',
  },
} as const satisfies Record<string, VariableDoc>;

/** The target's variables with their `--help` text. README's configuration table is written from `targetVariableDocs`. */
export const targetVariables = helpTexts(targetVariableDocs);

/** The API_* variables the exporter reads (the base target); the rest of `targetVariables` are the gate's. */
export const baseTargetVariableNames = [
  'API_BASE_URL',
  'API_CUSTOMER_ID',
  'API_TOKEN',
  'API_TOKEN_FILE',
  'API_AUTH_SCHEME',
  'API_ALLOW_INSECURE_HTTP',
] as const;

/** The contract gate's own settings (playwright.config.ts), documented. */
export const gateVariableDocs = {
  CONTRACT_WORKERS: {
    meaning: `Playwright workers, ${describeRule(gateLimits.workers)}`,
    default: String(gateDefaults.workers),
    readme: 'the fastest for ~30 quick requests',
  },
  CONTRACT_REPORTS_DIR: {
    meaning: 'where reports go, relative to the repository',
    default: `${gateDefaults.reportsDir}/`,
    readme: 'not empty, not the repository or a folder above it, not a file',
  },
  CONTRACT_BODY_LIMIT_BYTES: {
    meaning: `largest response body the credential relay passes on, in bytes: ${describeRule(gateLimits.bodyLimitBytes)}`,
    default: `${gateDefaults.bodyLimitBytes} (8 MiB)`,
  },
  CONTRACT_STRICTNESS: {
    meaning:
      '`documented`: only breaks of what the vendor page states fail the gate, breaks of `x-inferred` rules are warnings; `inferred`: those and the inferences no reasonable reading of the page contradicts; `strict`: every rule, advisories (what the page leaves open) included (docs/gate-rules.md)',
    default: 'inferred',
  },
  CONTRACT_SEED: {
    meaning: `seed of the generated phase, ${describeRule(gateLimits.seed)}, or \`random\` for a fresh one (printed); the same seed sends the same requests`,
    default: "derived from the OpenAPI document's hash: the same document sends the same requests",
  },
  CONTRACT_ENFORCE: {
    meaning:
      'comma-separated advisory rules that fail the gate anyway, e.g. `negative_data_rejection,after_delete` (docs/gate-rules.md lists them); the other advisories are reported, not failing',
    default: 'none',
  },
  CONTRACT_FAILURE_DB: {
    meaning:
      'the failure database: failing generated inputs are saved here and replayed first on every run (commit it; prune by deleting entries); `0` turns it off',
    default: 'contract/failure-db.json',
  },
  CONTRACT_EXAMPLES: {
    meaning: `generated examples per operation and generation mode, spread over its categories of input with at least one each, ${describeRule(gateLimits.examples)}; \`0\` turns the generated phase off`,
    default: `${gateDefaults.examples} (each category of input once)`,
    readme:
      'on every seed measured, more examples caught no more simulator modes, only sent more requests (`npm run mutation-score -- --examples 1,15`); raise it, or use CONTRACT_SEED=random, to explore',
  },
  CONTRACT_CONCURRENCY: {
    meaning: `generated requests in flight at once within one generated test, ${describeRule(gateLimits.concurrency)}; a DELETE, or any other unsafe method (PUT, POST, PATCH), always goes alone (the relay holds every other request while one is in flight), and the run's per-minute budget still holds`,
    default: `${gateDefaults.concurrency} against a real target, ${gateDefaults.simulatorConcurrency} against the embedded simulator`,
    readme: 'the verdicts are the same at any value: the examples are drawn first and judged in order, fast-check replaying them',
  },
  CONTRACT_MAX_REQUESTS_PER_MINUTE: {
    meaning: `requests a minute the whole run sends to a real target (preflight, specs and generated phase, every worker), ${describeRule(gateLimits.maxRequestsPerMinute)}; the embedded simulator is not limited`,
    default: `${gateDefaults.maxRequestsPerMinute} (the vendor states 200 a minute for its Voice APIs)`,
    readme: 'a token bucket: the whole minute is the burst, and no 60-second window holds more',
  },
  CONTRACT_MAX_RPS: {
    meaning: `deprecated (use CONTRACT_MAX_REQUESTS_PER_MINUTE): when set, also spaces the run's requests to a real target to at most this many a second, ${describeRule(gateLimits.maxRps)}`,
    default: 'unset',
  },
  CONTRACT_ACCEPTED_FINDINGS: {
    meaning:
      'YAML file of accepted findings (operation, check or pointer, reason, expires): a matching finding is a warning until its expiry day, then fails again',
    default: `${gateDefaults.acceptedFindings} (none when that file is absent)`,
    readme: 'format in docs/accepted-findings.md; an entry that matches nothing is reported as stale',
  },
  CONTRACT_REQUIRE_TARGET: {
    meaning:
      '`1`: this run must judge a real target: an unset API_BASE_URL stops it instead of falling back to the embedded simulator (set it in scheduled CI jobs)',
    default: '0',
  },
  CONTRACT_OPENAPI: {
    meaning:
      'the OpenAPI document the gate (and the monitor) judge against, relative to the repository: e.g. the proposal `npm run drift -- --propose` writes to reports/proposed/',
    default: 'openapi/customer-management.yaml',
  },
  CONTRACT_ENFORCE_HEADERS: {
    meaning:
      '`1`: a response header the contract declares but the vendor page does not document (WWW-Authenticate on 401, Retry-After on 429) fails the gate when missing; `0`: it is an advisory',
    default: '0',
  },
} as const satisfies Record<string, VariableDoc>;

/** The contract gate's own settings with their `--help` text. */
export const gateVariables = helpTexts(gateVariableDocs);

/** The exporter's own variables, documented (its README's table is written from these). */
export const exporterVariableDocs = {
  PROBE_INTERVAL_SECONDS: {
    meaning: `seconds between probes of one target×operation, ${describeRule(exporterLimits.intervalSeconds)} (24 h)`,
    default: String(exporterDefaults.intervalSeconds),
  },
  PROBE_TIMEOUT_SECONDS: {
    meaning: `seconds before a probe is abandoned as reason="timeout", ${describeRule(exporterLimits.timeoutSeconds)}; must be less than the interval`,
    default: `${exporterDefaults.timeoutSeconds}, or half the interval if that is less`,
  },
  PROBE_JITTER_SECONDS: {
    meaning: `random spread added to each interval (±half of it) and to the first probe (0..jitter), ${describeRule(exporterLimits.jitterSeconds)} and at most the interval`,
    default: `${exporterDefaults.jitterShare * 100} % of the interval`,
  },
  PROBE_BODY_LIMIT_BYTES: {
    meaning: `largest response body read, ${describeRule(exporterLimits.bodyLimitBytes)}; a bigger one aborts the probe as reason="other"`,
    default: `${exporterDefaults.bodyLimitBytes} (${exporterDefaults.bodyLimitBytes / 1024 / 1024} MiB)`,
  },
  MONITOR_PORT: {
    meaning: `port for /metrics, /probe, /healthz and the status page, ${describeRule(exporterLimits.port)} (0 = any free port)`,
    default: String(exporterDefaults.port),
  },
  MONITOR_HOST: {
    meaning: 'interface to listen on, an address of this machine',
    default: `${exporterDefaults.host} (Prometheus usually scrapes from another host)`,
  },
  MONITOR_TARGETS_FILE: {
    meaning: 'optional YAML listing several targets, each with its own token; replaces the API_* target',
    readme: 'format in monitors/exporter/README.md',
  },
  MONITOR_WEB_CONFIG_FILE: { meaning: 'optional exporter-toolkit web config YAML (TLS, basic auth); same as the flag --web.config.file=PATH' },
} as const satisfies Record<string, VariableDoc>;

/** The exporter's own variables with their `--help` text. */
export const exporterVariables = helpTexts(exporterVariableDocs);

/** The simulator's variables (simulator/cli.ts; SIMULATOR_MODE also picks the gate's embedded simulator's mode), documented. */
export const simulatorVariableDocs = {
  SIMULATOR_PORT: { meaning: 'port to listen on, 0..65535 (0 = any free port)', default: String(simulatorDefaults.port) },
  SIMULATOR_HOST: { meaning: 'interface to listen on', default: simulatorDefaults.host },
  SIMULATOR_MODE: {
    meaning:
      "behaviour mode, one of those `npm run simulator -- --help` lists; with API_BASE_URL unset, also the mode of the gate's and `npm run monitor`'s embedded simulator",
    default: 'faithful',
  },
  SIMULATOR_LATENCY_MS: { meaning: 'delay before every response in milliseconds', default: "0 (or the mode's default)" },
  SIMULATOR_ERROR_RATE: { meaning: 'fraction 0..1 of requests answering 500', default: "0 (or the mode's default)" },
  SIMULATOR_RATE_LIMIT_PER_MINUTE: { meaning: 'requests allowed per 60 s before 429', default: 'unlimited' },
  SIMULATOR_ADMIN: {
    meaning:
      "`1`: the simulator (`npm run simulator`, or `npm run monitor`'s embedded one) serves POST /admin/mode (mode=NAME) to callers on this machine, to switch modes at run time",
    default: '0',
  },
} as const satisfies Record<string, VariableDoc>;

/** The simulator's variables with their `--help` text. */
export const simulatorVariables = helpTexts(simulatorVariableDocs);

/** Every known variable's documentation. */
export const variableDocs: Readonly<Record<string, VariableDoc>> = {
  ...targetVariableDocs,
  ...gateVariableDocs,
  ...exporterVariableDocs,
  ...simulatorVariableDocs,
};

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

/** Letters and digits only: `API_BASE_URL` and `APIBASEURL` both squash to `APIBASEURL`. */
function squash(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]/g, '');
}

/**
 * For a name with none of our prefixes: the known variable it is, once separators are ignored (within edit distance 1
 * after that), provided it starts like one of our prefixes (`APIBASEURL`, `CONTRACTSTRICTNESS`); undefined otherwise.
 */
export function nearestBySquashedName(name: string): string | undefined {
  const squashed = squash(name);
  if (!settingPrefixes.some((prefix) => squashed.startsWith(squash(prefix)))) return undefined;
  let best: { name: string; distance: number } | undefined;
  for (const known of Object.keys(knownVariables)) {
    const distance = editDistance(squash(known), squashed);
    if (distance <= 1 && (!best || distance < best.distance)) best = { name: known, distance };
  }
  return best?.name;
}

/**
 * A known API_* variable set to an empty or blank value is a mistake, never "unset": a CI variable that is missing
 * arrives as an empty string, and an empty API_BASE_URL must not turn a run meant for a real target into a simulator run.
 */
export function emptyTargetVariableProblems(env: Env): string[] {
  return Object.keys(targetVariableDocs)
    .filter((name) => name.startsWith('API_') && env[name]?.trim() === '')
    .map((name) =>
      name === 'API_BASE_URL'
        ? "API_BASE_URL is set but empty: give the real target's base URL, or unset it (not empty) to use the embedded simulator"
        : `${name} is set but empty: give it a value or unset it`,
    );
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
    if (!settingPrefixes.some((prefix) => upper.startsWith(prefix))) {
      // APIBASEURL, API-BASE-URL, CONTRACTSTRICTNESS: one of ours with its underscores lost.
      const squashedNear = nearestBySquashedName(upper);
      if (squashedNear) problems.push(`unknown variable ${key}: did you mean ${squashedNear}?`);
      continue;
    }
    const near = isKnownVariable(upper) ? upper : nearestKnownVariable(upper);
    if (near) {
      problems.push(`unknown variable ${key}: did you mean ${near}?`);
    } else if (strict?.prefixes.some((prefix) => key.startsWith(prefix))) {
      const known = Object.keys(knownVariables).filter((name) => strict.prefixes.some((prefix) => name.startsWith(prefix)));
      problems.push(
        `unknown variable ${key}: ${strict.prefixes.map((p) => `${p}*`).join(' and ')} are ${strict.owner} variables and it is not one (known: ${known.join(', ')})`,
      );
    }
  }
  return problems;
}

/** Throws one UserError when `unknownVariableProblems` finds any. */
export function rejectUnknownVariables(env: Env, strict?: StrictPrefixes): void {
  const problems = unknownVariableProblems(env, strict);
  if (problems.length > 0) throw new UserError(problems.join('; '));
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

/** Which breaks fail the gate (CONTRACT_STRICTNESS): the vendor page's own rules, those and the sound inferences, or every rule (advisories too). */
export type ContractStrictness = 'documented' | 'inferred' | 'strict';

/** CONTRACT_STRICTNESS, checked: unset or blank is `inferred`; anything else but the three values is a problem. */
export function strictnessSetting(raw: string | undefined, problems: string[]): ContractStrictness {
  const value = raw?.trim().toLowerCase();
  if (!value || value === 'inferred') return 'inferred';
  if (value === 'documented' || value === 'strict') return value;
  problems.push(`CONTRACT_STRICTNESS must be documented, inferred or strict, not ${JSON.stringify(raw)}`);
  return 'inferred';
}

/** CONTRACT_ENFORCE, checked for its shape (the rule names are checked against contract/evidence.ts where they are used). */
export function enforceSetting(raw: string | undefined, problems: string[]): string[] {
  if (raw === undefined) return [];
  const names = raw
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (names.length === 0) problems.push('CONTRACT_ENFORCE is set but empty: unset it, or name advisory rules, e.g. negative_data_rejection');
  for (const name of names) if (!/^[a-z_]+$/.test(name)) problems.push(`CONTRACT_ENFORCE: ${JSON.stringify(name)} is not a rule name (lower case and _)`);
  return names;
}

/** CONTRACT_ENFORCE alone (for the gate's workers); throws one UserError when it is malformed. */
export function loadEnforce(env: Env = process.env): string[] {
  const problems: string[] = [];
  const names = enforceSetting(env.CONTRACT_ENFORCE, problems);
  if (problems.length > 0) throw new UserError(problems.join('; '));
  return names;
}

/** CONTRACT_STRICTNESS alone (for the gate's workers); throws one UserError when it is neither value. */
export function loadStrictness(env: Env = process.env): ContractStrictness {
  const problems: string[] = [];
  const strictness = strictnessSetting(env.CONTRACT_STRICTNESS, problems);
  if (problems.length > 0) throw new UserError(problems.join('; '));
  return strictness;
}

/** The generated phase's settings (specs/generated.spec.ts). */
export interface GeneratedSettings {
  /** A number: replay it; `random`: draw one and print it; undefined: derive it from the OpenAPI document (deterministic). */
  seed: number | 'random' | undefined;
  /** The failure database's path (absolute), or undefined when CONTRACT_FAILURE_DB=0 turns it off. */
  failureDb: string | undefined;
  /** Examples per operation and generation mode; 0 turns the phase off. */
  examples: number;
  /** Requests per second to a real target. */
  maxRps: number;
  /** CONTRACT_CONCURRENCY when it is set: generated requests in flight at once (default by target: gateDefaults). */
  concurrency: number | undefined;
  /** Whether a declared header the page does not document fails the gate when missing. */
  enforceHeaders: boolean;
}

function generatedSettingsFrom(env: Env, problems: string[]): GeneratedSettings {
  return {
    seed: env.CONTRACT_SEED?.trim().toLowerCase() === 'random' ? 'random' : numberSetting(env.CONTRACT_SEED, 'CONTRACT_SEED', gateLimits.seed, problems),
    failureDb: failureDbSetting(env.CONTRACT_FAILURE_DB, problems),
    examples: numberSetting(env.CONTRACT_EXAMPLES, 'CONTRACT_EXAMPLES', gateLimits.examples, problems) ?? gateDefaults.examples,
    maxRps: numberSetting(env.CONTRACT_MAX_RPS, 'CONTRACT_MAX_RPS', gateLimits.maxRps, problems) ?? gateDefaults.maxRps,
    concurrency: concurrencySetting(env.CONTRACT_CONCURRENCY, problems),
    enforceHeaders: flagSetting(env.CONTRACT_ENFORCE_HEADERS, 'CONTRACT_ENFORCE_HEADERS', problems),
  };
}

/** CONTRACT_CONCURRENCY: unset is the default by target; empty is a mistake (a missing CI variable), not unset. */
function concurrencySetting(raw: string | undefined, problems: string[]): number | undefined {
  if (raw !== undefined && !raw.trim()) {
    problems.push(
      `CONTRACT_CONCURRENCY is set but empty: unset it for the default (${gateDefaults.concurrency} against a real target, ${gateDefaults.simulatorConcurrency} against the embedded simulator), or give ${describeRule(gateLimits.concurrency)}`,
    );
    return undefined;
  }
  return numberSetting(raw, 'CONTRACT_CONCURRENCY', gateLimits.concurrency, problems);
}

function failureDbSetting(raw: string | undefined, problems: string[]): string | undefined {
  if (raw === undefined) return path.join(repoRoot, 'contract', 'failure-db.json');
  const text = raw.trim();
  if (text === '0') return undefined;
  if (!text) {
    problems.push('CONTRACT_FAILURE_DB is set but empty: unset it for contract/failure-db.json, give a file, or 0 to turn it off');
    return undefined;
  }
  return path.resolve(repoRoot, text);
}

/** CONTRACT_SEED, CONTRACT_EXAMPLES, CONTRACT_MAX_RPS, CONTRACT_CONCURRENCY and CONTRACT_ENFORCE_HEADERS, checked; throws one UserError naming every problem. */
export function loadGeneratedSettings(env: Env = process.env): GeneratedSettings {
  const problems: string[] = [];
  const settings = generatedSettingsFrom(env, problems);
  if (problems.length > 0) throw new UserError(problems.join('; '));
  return settings;
}

/** The run's request budget towards a real target (the credential relay applies it to every request of the run). */
export interface BudgetSettings {
  /** CONTRACT_MAX_REQUESTS_PER_MINUTE. */
  perMinute: number;
  /** CONTRACT_MAX_RPS when it is set (deprecated): the least spacing between two requests is 1000 / maxRps ms. */
  maxRps: number | undefined;
  /** The line to print when a deprecated setting is used, or undefined. */
  deprecation: string | undefined;
}

/** CONTRACT_MAX_REQUESTS_PER_MINUTE and the deprecated CONTRACT_MAX_RPS, checked; throws one UserError naming every problem. */
export function loadBudgetSettings(env: Env = process.env): BudgetSettings {
  const problems: string[] = [];
  const perMinute =
    numberSetting(env.CONTRACT_MAX_REQUESTS_PER_MINUTE, 'CONTRACT_MAX_REQUESTS_PER_MINUTE', gateLimits.maxRequestsPerMinute, problems) ??
    gateDefaults.maxRequestsPerMinute;
  const maxRps = numberSetting(env.CONTRACT_MAX_RPS, 'CONTRACT_MAX_RPS', gateLimits.maxRps, problems);
  if (problems.length > 0) throw new UserError(problems.join('; '));
  const deprecation =
    maxRps === undefined
      ? undefined
      : `warning: CONTRACT_MAX_RPS is deprecated: the vendor states its limit per minute, so set CONTRACT_MAX_REQUESTS_PER_MINUTE (now ${perMinute}); until then requests are also spaced at most ${maxRps} a second`;
  return { perMinute, maxRps, deprecation };
}

/** The contract gate's settings (playwright.config.ts; the credential relay reads bodyLimitBytes). */
export interface GateSettings {
  workers: number;
  /** Absolute path. */
  reportsDir: string;
  bodyLimitBytes: number;
}

const repoRoot = path.resolve(__dirname, '..');

export interface GateSettingsOptions {
  /**
   * Whether to check the accepted-findings file too (default true). The runner checks it before anything starts; a gate
   * worker reads a setting or two and never the file (parsing it loads the YAML parser, a measurable part of a worker's start: docs/benchmarks.md).
   */
  acceptedFindings?: boolean;
}

/**
 * Reads and checks the gate's settings and refuses a typo in any of our variables; throws one UserError naming everything
 * that is wrong. `rootDir` is what a relative CONTRACT_REPORTS_DIR is relative to (the repository).
 */
export function loadGateSettings(env: Env = process.env, rootDir: string = repoRoot, options: GateSettingsOptions = {}): GateSettings {
  rejectUnknownVariables(env);
  const problems: string[] = emptyTargetVariableProblems(env);
  if (flagSetting(env.CONTRACT_REQUIRE_TARGET, 'CONTRACT_REQUIRE_TARGET', problems) && env.API_BASE_URL === undefined) {
    problems.push(
      'CONTRACT_REQUIRE_TARGET=1 says this run must judge a real target, but API_BASE_URL is not set: set it (in CI, check the variable exists for this job), or drop CONTRACT_REQUIRE_TARGET to run against the simulator',
    );
  }
  const workers = numberSetting(env.CONTRACT_WORKERS, 'CONTRACT_WORKERS', gateLimits.workers, problems) ?? gateDefaults.workers;
  const bodyLimitBytes =
    numberSetting(env.CONTRACT_BODY_LIMIT_BYTES, 'CONTRACT_BODY_LIMIT_BYTES', gateLimits.bodyLimitBytes, problems) ?? gateDefaults.bodyLimitBytes;
  const reportsDir = reportsDirSetting(env.CONTRACT_REPORTS_DIR, rootDir, problems);
  // The switches that decide whether a DELETE is sent: a bad value stops the run here too, before anything starts.
  flagSetting(env.CONTRACT_READ_ONLY, 'CONTRACT_READ_ONLY', problems);
  flagSetting(env.API_ALLOW_DELETE, 'API_ALLOW_DELETE', problems);
  // Checked here so a bad value stops the run before anything starts; loadStrictness reads it where it is used.
  strictnessSetting(env.CONTRACT_STRICTNESS, problems);
  enforceSetting(env.CONTRACT_ENFORCE, problems);
  generatedSettingsFrom(env, problems);
  // The document the workers will judge against: a bad path stops the run here, not in every worker.
  try {
    contractDocumentPath(env, rootDir);
  } catch (error) {
    problems.push(error instanceof Error ? error.message : String(error));
  }
  if (problems.length > 0) throw new UserError(problems.join('; '));
  // After the one-line problems above: a bad file is its own line, naming the file and the entry.
  if (options.acceptedFindings !== false) loadAcceptedFindingsSetting(env, rootDir);
  return { workers, reportsDir, bodyLimitBytes };
}

/**
 * The accepted findings of CONTRACT_ACCEPTED_FINDINGS (relative to `rootDir`), or of contract/accepted-findings.yaml when
 * it is unset (none when that file is absent), checked; throws one UserError naming the file, the entry and the fix.
 */
export function loadAcceptedFindingsSetting(env: Env = process.env, rootDir: string = repoRoot): AcceptedFindings {
  const raw = env.CONTRACT_ACCEPTED_FINDINGS;
  if (raw === undefined) return loadAcceptedFindings(path.resolve(rootDir, gateDefaults.acceptedFindings), false, rootDir);
  const text = raw.trim();
  if (!text) throw new UserError('CONTRACT_ACCEPTED_FINDINGS is set but empty: unset it for contract/accepted-findings.yaml, or give a YAML file');
  return loadAcceptedFindings(path.resolve(rootDir, text), true, rootDir);
}

function reportsDirSetting(raw: string | undefined, rootDir: string, problems: string[]): string {
  if (raw === undefined) return path.resolve(rootDir, gateDefaults.reportsDir);
  const text = raw.trim();
  // An empty value would resolve to the repository itself, which the reporters would then write into.
  if (!text) {
    problems.push('CONTRACT_REPORTS_DIR is set but empty: unset it for reports/, or give a folder');
    return rootDir;
  }

  if (/[\u0000-\u001f\u007f]/.test(text)) {
    problems.push(`CONTRACT_REPORTS_DIR ${JSON.stringify(raw)} contains a control character: give a plain folder path`);
    return rootDir;
  }
  const dir = path.resolve(rootDir, text);
  const back = path.relative(dir, rootDir);
  if (back === '' || !back.startsWith('..')) {
    problems.push(
      `CONTRACT_REPORTS_DIR ${JSON.stringify(raw)} is the repository, a folder above it or a filesystem root: give a folder of its own, e.g. reports/`,
    );
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

/**
 * CONTRACT_OPENAPI, checked: the contract document to judge against (absolute); unset is openapi/customer-management.yaml.
 * Throws one UserError when it is set but blank or names no file. `rootDir` is what a relative path is relative to.
 */
export function contractDocumentPath(env: Env = process.env, rootDir: string = path.resolve(__dirname, '..')): string {
  const raw = env.CONTRACT_OPENAPI;
  if (raw === undefined) return path.join(rootDir, 'openapi', 'customer-management.yaml');
  if (raw.trim() === '') throw new UserError('CONTRACT_OPENAPI is set but empty: unset it for openapi/customer-management.yaml, or name a document');
  if (/[\u0000-\u001f\u007f]/.test(raw)) throw new UserError(`CONTRACT_OPENAPI ${JSON.stringify(raw)} contains a control character: give a plain file path`);
  const file = path.resolve(rootDir, raw);
  let isFile: boolean;
  try {
    isFile = fs.statSync(file).isFile();
  } catch {
    throw new UserError(`CONTRACT_OPENAPI names ${file}, which does not exist: give the path of an OpenAPI document`);
  }
  if (!isFile) throw new UserError(`CONTRACT_OPENAPI names ${file}, which is not a file: give the path of an OpenAPI document`);
  return file;
}
