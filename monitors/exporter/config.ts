// The exporter's typed configuration: PROBE_*/MONITOR_* variables, the optional targets YAML, and token sources.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { UserError } from '../../config/errors';
import { Secret } from '../../config/secret';
import type { TargetConfig } from '../../config/target';

/** The exporter's own variables, with what each means and its default (the API_* ones come from config/target.ts). */
export const exporterVariables = {
  PROBE_INTERVAL_SECONDS: 'seconds between probes of one target×operation, fractions allowed; default 30',
  PROBE_TIMEOUT_SECONDS: 'seconds before a probe is abandoned as reason="timeout"; must be < the interval; default 10',
  PROBE_JITTER_SECONDS: 'random spread added to each interval (±half) and to the first probe; default 10 % of the interval',
  PROBE_BODY_LIMIT_BYTES: 'largest response body read; a bigger one aborts the probe as reason="other"; default 1048576 (1 MiB)',
  MONITOR_PORT: 'port for /metrics, /probe, /healthz and the status page, 0..65535 (0 = any free port); default 9464',
  MONITOR_HOST: 'interface to listen on; default 0.0.0.0 (Prometheus usually scrapes from another host)',
  MONITOR_TARGETS_FILE: 'optional YAML listing several targets (see monitors/exporter/README.md); replaces the API_* target',
} as const;

/** Schedule and limits for every probe. */
export interface ProbeSettings {
  intervalSeconds: number;
  timeoutSeconds: number;
  jitterSeconds: number;
  bodyLimitBytes: number;
}

/** The exporter's settings from the environment (targets are loaded separately). */
export interface ExporterSettings extends ProbeSettings {
  port: number;
  host: string;
  targetsFile: string | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

export const defaultProbeSettings: ProbeSettings = {
  intervalSeconds: 30,
  timeoutSeconds: 10,
  jitterSeconds: 3,
  bodyLimitBytes: 1024 * 1024,
};

/** Reads PROBE_* and MONITOR_* variables; throws one UserError naming everything that is wrong. */
export function loadExporterSettings(env: Env = process.env): ExporterSettings {
  const problems: string[] = [];
  const known = Object.keys(exporterVariables);
  for (const key of Object.keys(env)) {
    if ((key.startsWith('PROBE_') || key.startsWith('MONITOR_')) && !known.includes(key)) {
      problems.push(`${key} is not an exporter variable (known: ${known.join(', ')})`);
    }
  }
  const intervalSeconds = positiveNumber(env.PROBE_INTERVAL_SECONDS, 'PROBE_INTERVAL_SECONDS', problems) ?? defaultProbeSettings.intervalSeconds;
  const timeoutSeconds = positiveNumber(env.PROBE_TIMEOUT_SECONDS, 'PROBE_TIMEOUT_SECONDS', problems) ?? Math.min(defaultProbeSettings.timeoutSeconds, intervalSeconds / 2);
  const jitterSeconds = nonNegativeNumber(env.PROBE_JITTER_SECONDS, 'PROBE_JITTER_SECONDS', problems) ?? intervalSeconds / 10;
  const bodyLimitBytes = integer(env.PROBE_BODY_LIMIT_BYTES, 'PROBE_BODY_LIMIT_BYTES', 1, 1024 * 1024 * 1024, problems) ?? defaultProbeSettings.bodyLimitBytes;
  const port = integer(env.MONITOR_PORT, 'MONITOR_PORT', 0, 65_535, problems) ?? 9464;
  const host = env.MONITOR_HOST?.trim() || '0.0.0.0';
  const targetsFile = env.MONITOR_TARGETS_FILE?.trim() || undefined;
  const settings = { intervalSeconds, timeoutSeconds, jitterSeconds, bodyLimitBytes, port, host, targetsFile };
  if (problems.length === 0) problems.push(...probeSettingsProblems(settings));
  if (problems.length > 0) throw new UserError(problems.join('; '));
  return settings;
}

/** Cross-field rules, shared with startExporter's programmatic options. */
export function probeSettingsProblems(s: ProbeSettings): string[] {
  const problems: string[] = [];
  if (!(s.intervalSeconds > 0 && Number.isFinite(s.intervalSeconds))) problems.push(`the probe interval must be a positive number of seconds, not ${s.intervalSeconds}`);
  if (!(s.timeoutSeconds > 0)) problems.push(`the probe timeout must be a positive number of seconds, not ${s.timeoutSeconds}`);
  if (s.timeoutSeconds >= s.intervalSeconds) {
    problems.push(`PROBE_TIMEOUT_SECONDS (${s.timeoutSeconds}) must be less than PROBE_INTERVAL_SECONDS (${s.intervalSeconds}) so probes of one target never overlap`);
  }
  if (s.jitterSeconds < 0 || s.jitterSeconds > s.intervalSeconds) {
    problems.push(`PROBE_JITTER_SECONDS (${s.jitterSeconds}) must be between 0 and PROBE_INTERVAL_SECONDS (${s.intervalSeconds})`);
  }
  return problems;
}

/** Where a target's token comes from; a file is re-read when its mtime or size changes. */
export type TokenSource =
  | { kind: 'value'; token: Secret }
  | { kind: 'env'; variable: string }
  | { kind: 'file'; path: string };

/** One API endpoint the exporter probes. `name` is the bounded `target` label value. */
export interface ProbeTarget {
  name: string;
  baseUrl: string;
  customerId: string;
  tokenSource: TokenSource;
  authScheme: string;
}

/** The "default" target from the contract suite's API_* configuration. */
export function targetFromApiConfig(config: TargetConfig, env: Env = process.env): ProbeTarget {
  // Prefer the file so a rotated API_TOKEN_FILE is picked up without restart.
  const file = env.API_BASE_URL?.trim() ? env.API_TOKEN_FILE?.trim() : undefined;
  return {
    name: 'default',
    baseUrl: config.baseUrl,
    customerId: config.customerId,
    tokenSource: file ? { kind: 'file', path: file } : { kind: 'value', token: config.token },
    authScheme: config.authScheme,
  };
}

const targetKeys = ['name', 'base_url', 'customer_id', 'token_file', 'token_env', 'auth_scheme'] as const;
const namePattern = /^[a-z0-9_-]{1,63}$/;
const schemePattern = /^[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*$/;

/** Loads and strictly validates MONITOR_TARGETS_FILE; every mistake is one UserError naming file, target and key. */
export function loadTargetsFile(file: string, env: Env = process.env): ProbeTarget[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new UserError(`MONITOR_TARGETS_FILE names ${file}, which cannot be read: check the path and permissions`);
  }
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (error) {
    const first = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    throw new UserError(`${file} is not valid YAML: ${first}`);
  }
  const fail = (where: string, what: string): never => {
    throw new UserError(`${file}: ${where}${what}`);
  };
  if (!isRecord(doc)) fail('', 'must be a mapping with a `targets:` list');
  const root = doc as Record<string, unknown>;
  for (const key of Object.keys(root)) if (key !== 'targets') fail('', `unknown top-level key "${key}" (only \`targets\` is allowed)`);
  const list = root.targets;
  if (!Array.isArray(list) || list.length === 0) fail('', '`targets` must be a non-empty list');
  const seen = new Set<string>();
  return (list as unknown[]).map((entry, index) => {
    const label = isRecord(entry) && typeof entry.name === 'string' ? `target "${entry.name}"` : `target #${index + 1}`;
    if (!isRecord(entry)) return fail(`${label}: `, 'must be a mapping');
    const at = (key: string): string => `${label}, key "${key}": `;
    for (const key of Object.keys(entry)) {
      if (!(targetKeys as readonly string[]).includes(key)) fail(at(key), `unknown key (allowed: ${targetKeys.join(', ')})`);
    }
    const str = (key: string, required: boolean): string | undefined => {
      const value = entry[key];
      if (value === undefined || value === null) return required ? fail(at(key), 'is required') : undefined;
      if (typeof value !== 'string' || value.trim() === '') return fail(at(key), 'must be a non-empty string');
      return value.trim();
    };
    const name = str('name', true)!;
    if (!namePattern.test(name)) fail(at('name'), `"${name}" must match [a-z0-9_-]+ (at most 63 characters): it becomes the \`target\` label`);
    if (seen.has(name)) fail(at('name'), 'is used by two targets');
    seen.add(name);
    const baseUrl = str('base_url', true)!;
    let url: URL | undefined;
    try {
      url = new URL(baseUrl);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) fail(at('base_url'), `"${baseUrl}" is not an http(s) URL`);
    if (url && (url.username || url.password || url.search || url.hash)) fail(at('base_url'), 'must not carry credentials, a query or a fragment');
    const customerId = str('customer_id', true)!;
    // A relative token_file is relative to the targets file, not to wherever the exporter was started.
    const rawTokenFile = str('token_file', false);
    const tokenFile = rawTokenFile ? path.resolve(path.dirname(file), rawTokenFile) : undefined;
    const tokenEnv = str('token_env', false);
    if (tokenFile && tokenEnv) fail(at('token_file'), 'give token_file or token_env, not both');
    if (!tokenFile && !tokenEnv) fail(at('token_file'), 'is required (or token_env): a target needs a token');
    let tokenSource: TokenSource;
    if (tokenEnv) {
      if (!env[tokenEnv]?.trim()) fail(at('token_env'), `names ${tokenEnv}, which is not set or empty`);
      tokenSource = { kind: 'env', variable: tokenEnv };
    } else {
      try {
        if (!fs.readFileSync(tokenFile!, 'utf8').trim()) fail(at('token_file'), `names ${tokenFile}, which is empty`);
      } catch (error) {
        if (error instanceof UserError) throw error;
        fail(at('token_file'), `names ${tokenFile}, which cannot be read`);
      }
      tokenSource = { kind: 'file', path: tokenFile! };
    }
    const authScheme = str('auth_scheme', false) ?? 'Bearer';
    if (!schemePattern.test(authScheme)) fail(at('auth_scheme'), `"${authScheme}" is not an HTTP auth scheme (e.g. Bearer, or none for a raw token)`);
    return { name, baseUrl: url!.toString().replace(/\/+$/, ''), customerId, tokenSource, authScheme };
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseNumber(raw: string | undefined, key: string, problems: string[]): number | undefined {
  const text = raw?.trim();
  if (!text) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value)) {
    problems.push(`${key} must be a number, not "${raw}"`);
    return undefined;
  }
  return value;
}

function positiveNumber(raw: string | undefined, key: string, problems: string[]): number | undefined {
  const value = parseNumber(raw, key, problems);
  if (value !== undefined && value <= 0) {
    problems.push(`${key} must be greater than 0, not ${raw}`);
    return undefined;
  }
  return value;
}

function nonNegativeNumber(raw: string | undefined, key: string, problems: string[]): number | undefined {
  const value = parseNumber(raw, key, problems);
  if (value !== undefined && value < 0) {
    problems.push(`${key} must be 0 or more, not ${raw}`);
    return undefined;
  }
  return value;
}

function integer(raw: string | undefined, key: string, min: number, max: number, problems: string[]): number | undefined {
  const value = parseNumber(raw, key, problems);
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < min || value > max) {
    problems.push(`${key} must be a whole number from ${min} to ${max}, not ${raw}`);
    return undefined;
  }
  return value;
}
