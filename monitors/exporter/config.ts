// The exporter's typed configuration: PROBE_*/MONITOR_* variables, the optional targets YAML, and token sources.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { readTokenFile, tokenTextProblem, type TokenSource } from '../../config/credentials';
import { UserError } from '../../config/errors';
import { exporterDefaults, exporterLimits, numberSetting, unknownVariableProblems, type Env } from '../../config/settings';
import { clearTextProblem, customerIdProblem, type BaseTargetConfig } from '../../config/target';

/** The exporter's own variables, with what each means and its default (the API_* ones come from config/target.ts); the table lives in config/settings.ts. */
export { exporterVariables } from '../../config/settings';
/** Where a target's token comes from (config/credentials.ts, shared with the contract gate). */
export type { TokenSource } from '../../config/credentials';

/** The longest probe interval (config/settings.ts): a probe less often than daily is not monitoring. */
export const maxIntervalSeconds = exporterLimits.intervalSeconds.max;

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
  /** MONITOR_WEB_CONFIG_FILE: an exporter-toolkit web config YAML (TLS, basic auth); the CLI's --web.config.file overrides it. */
  webConfigFile: string | undefined;
}

/**
 * The probe settings with config/settings.ts' defaults filled in, for the CLI's variables and startExporter's options
 * alike: the timeout defaults to its ceiling or half the interval, whichever is less; the jitter to a share of the interval.
 */
export function resolveProbeSettings(given: Partial<ProbeSettings> = {}): ProbeSettings {
  const intervalSeconds = given.intervalSeconds ?? exporterDefaults.intervalSeconds;
  return {
    intervalSeconds,
    timeoutSeconds: given.timeoutSeconds ?? Math.min(exporterDefaults.timeoutSeconds, intervalSeconds / 2),
    jitterSeconds: given.jitterSeconds ?? intervalSeconds * exporterDefaults.jitterShare,
    bodyLimitBytes: given.bodyLimitBytes ?? exporterDefaults.bodyLimitBytes,
  };
}

/** Reads PROBE_* and MONITOR_* variables; throws one UserError naming everything that is wrong. */
export function loadExporterSettings(env: Env = process.env): ExporterSettings {
  // PROBE_* and MONITOR_* are the exporter's own: any unknown one is refused; elsewhere a near-miss of a known name is.
  const problems = unknownVariableProblems(env, { prefixes: ['PROBE_', 'MONITOR_'], owner: "the exporter's" });
  if (problems.length > 0) throw new UserError(problems.join('; '));
  const probe = resolveProbeSettings({
    intervalSeconds: numberSetting(env.PROBE_INTERVAL_SECONDS, 'PROBE_INTERVAL_SECONDS', exporterLimits.intervalSeconds, problems),
    timeoutSeconds: numberSetting(env.PROBE_TIMEOUT_SECONDS, 'PROBE_TIMEOUT_SECONDS', exporterLimits.timeoutSeconds, problems),
    jitterSeconds: numberSetting(env.PROBE_JITTER_SECONDS, 'PROBE_JITTER_SECONDS', exporterLimits.jitterSeconds, problems),
    bodyLimitBytes: numberSetting(env.PROBE_BODY_LIMIT_BYTES, 'PROBE_BODY_LIMIT_BYTES', exporterLimits.bodyLimitBytes, problems),
  });
  const port = numberSetting(env.MONITOR_PORT, 'MONITOR_PORT', exporterLimits.port, problems) ?? exporterDefaults.port;
  const host = env.MONITOR_HOST?.trim() || exporterDefaults.host;
  const targetsFile = env.MONITOR_TARGETS_FILE?.trim() || undefined;
  const webConfigFile = env.MONITOR_WEB_CONFIG_FILE?.trim() || undefined;
  const settings = { ...probe, port, host, targetsFile, webConfigFile };
  if (problems.length === 0) problems.push(...probeSettingsProblems(settings));
  if (problems.length > 0) throw new UserError(problems.join('; '));
  return settings;
}

/** Cross-field rules, shared with startExporter's programmatic options. */
export function probeSettingsProblems(s: ProbeSettings): string[] {
  const problems: string[] = [];
  if (!(s.intervalSeconds > 0 && Number.isFinite(s.intervalSeconds)))
    problems.push(`the probe interval must be a positive number of seconds, not ${s.intervalSeconds}`);
  else if (s.intervalSeconds > maxIntervalSeconds) {
    problems.push(`PROBE_INTERVAL_SECONDS (${s.intervalSeconds}) must be at most ${maxIntervalSeconds} (24 h): a target probed less often is not monitored`);
  }
  if (!(s.timeoutSeconds > 0)) problems.push(`the probe timeout must be a positive number of seconds, not ${s.timeoutSeconds}`);
  if (s.timeoutSeconds >= s.intervalSeconds) {
    problems.push(
      `PROBE_TIMEOUT_SECONDS (${s.timeoutSeconds}) must be less than PROBE_INTERVAL_SECONDS (${s.intervalSeconds}) so probes of one target never overlap`,
    );
  }
  if (s.jitterSeconds < 0 || s.jitterSeconds > s.intervalSeconds) {
    problems.push(`PROBE_JITTER_SECONDS (${s.jitterSeconds}) must be between 0 and PROBE_INTERVAL_SECONDS (${s.intervalSeconds})`);
  }
  return problems;
}

/** One API endpoint the exporter probes. `name` is the bounded `target` label value. */
export interface ProbeTarget {
  name: string;
  baseUrl: string;
  customerId: string;
  tokenSource: TokenSource;
  authScheme: string;
}

/**
 * The "default" target from the base API_* configuration (`loadBaseTarget`: URL, customer, token, scheme; none of the
 * gate's DELETE rules). A token from API_TOKEN_FILE stays a file source, so a rotated file is picked up without restart.
 */
export function targetFromApiConfig(config: BaseTargetConfig): ProbeTarget {
  return {
    name: 'default',
    baseUrl: config.baseUrl,
    customerId: config.customerId,
    tokenSource: config.tokenSource ?? { kind: 'value', token: config.token },
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
    const clearText = url && clearTextProblem(url, env, 'this URL');
    if (clearText) fail(at('base_url'), clearText);
    const customerId = str('customer_id', true)!;
    const idProblem = customerIdProblem(customerId);
    if (idProblem) fail(at('customer_id'), `${JSON.stringify(customerId)} ${idProblem}: give the bare customer id, e.g. cust_abc123`);
    // A relative token_file is relative to the targets file, not to wherever the exporter was started.
    const rawTokenFile = str('token_file', false);
    const tokenFile = rawTokenFile ? path.resolve(path.dirname(file), rawTokenFile) : undefined;
    const tokenEnv = str('token_env', false);
    if (tokenFile && tokenEnv) fail(at('token_file'), 'give token_file or token_env, not both');
    if (!tokenFile && !tokenEnv) fail(at('token_file'), 'is required (or token_env): a target needs a token');
    let tokenSource: TokenSource;
    if (tokenEnv) {
      const value = env[tokenEnv]?.trim();
      if (!value) fail(at('token_env'), `names ${tokenEnv}, which is not set or empty`);
      const problem = tokenTextProblem(value!);
      if (problem) fail(at('token_env'), `names ${tokenEnv}, which ${problem}: set it to the token alone`);
      tokenSource = { kind: 'env', variable: tokenEnv };
    } else {
      const read = readTokenFile(tokenFile!);
      if ('problem' in read) fail(at('token_file'), `names ${tokenFile}, which ${read.problem}`);
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
