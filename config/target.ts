// The contract suite's target, from API_* environment variables: the embedded simulator by default, a real API by choice.
import fs from 'node:fs';
import { UserError } from './errors';
import { Secret } from './secret';

/** Where the suite sends requests and with which credentials. */
export interface TargetConfig {
  /** `simulator` when API_BASE_URL is unset (the embedded reference simulator), `remote` otherwise. */
  kind: 'simulator' | 'remote';
  /** Base URL including `/v2/integrations`, without a trailing slash. */
  baseUrl: string;
  customerId: string;
  token: Secret;
  /** Authorization scheme; `none` sends the raw token as the whole header value. */
  authScheme: string;
  missingCustomerId: string;
  otherCustomerId: string | undefined;
  /** CONTRACT_READ_ONLY: no state-changing request is ever sent; DELETE is off and its credentials are dropped. */
  readOnly: boolean;
  allowDelete: boolean;
  deleteCustomerId: string | undefined;
  deleteToken: Secret | undefined;
}

/** The interface's variable names, with what each means (README's configuration table is written from this). */
export const targetVariables = {
  API_BASE_URL: 'base URL including /v2/integrations; unset → the embedded simulator is started and used',
  API_CUSTOMER_ID: 'an existing customer',
  API_TOKEN: "that customer's token",
  API_TOKEN_FILE: "a file holding that customer's token (instead of API_TOKEN)",
  API_AUTH_SCHEME: 'Authorization scheme, default Bearer; `none` sends the raw token',
  API_MISSING_CUSTOMER_ID: "optional; an id that doesn't exist (default: an id that can't exist)",
  API_OTHER_CUSTOMER_ID: "optional; another tenant's existing customer id, for the cross-tenant check",
  API_ALLOW_DELETE: 'opt-in (1/true) for the destructive DELETE spec against a real target',
  API_DELETE_CUSTOMER_ID: 'the dedicated disposable customer the DELETE spec deletes',
  API_DELETE_TOKEN: "that disposable customer's token",
  API_DELETE_TOKEN_FILE: "a file holding that disposable customer's token (instead of API_DELETE_TOKEN)",
  CONTRACT_READ_ONLY: 'read-only run (1/true): DELETE never runs and the disposable credential is dropped, whatever API_ALLOW_DELETE says; `npm run drift` sets it',
} as const;

/** Internal: how the embedded simulator, started by the run, tells the workers where it is. Not for users. */
export const simulatorHandoffVariable = 'CONTRACT_SUITE_SIMULATOR';

/** What the run's global setup hands to workers when it started the embedded simulator. */
export interface SimulatorHandoff {
  baseUrl: string;
  customers: ReadonlyArray<{ id: string; token: string; role: 'primary' | 'other' | 'disposable' }>;
}

const defaultMissingCustomerId = 'cust_contract_suite_missing_0000';
type Env = Readonly<Record<string, string | undefined>>;

/** Reads the target from the environment; throws one UserError naming everything that is wrong. */
export function loadTargetConfig(env: Env = process.env): TargetConfig {
  rejectTypos(env);
  const readOnly = isReadOnlyRun(env);
  const baseUrl = env.API_BASE_URL?.trim();
  const target = baseUrl ? remoteTarget(baseUrl, env, readOnly) : simulatorTarget(env);
  // Read-only wins over every DELETE setting: without the disposable credential nothing can delete anything.
  return readOnly ? { ...target, readOnly, allowDelete: false, deleteCustomerId: undefined, deleteToken: undefined } : target;
}

/** `remote` when API_BASE_URL is set, `simulator` otherwise: the rule loadTargetConfig uses, for code that needs no credentials. */
export function targetKind(env: Env = process.env): TargetConfig['kind'] {
  return env.API_BASE_URL?.trim() ? 'remote' : 'simulator';
}

/** Whether CONTRACT_READ_ONLY asks for a read-only run; a value that is not a flag throws rather than risk a DELETE. */
export function isReadOnlyRun(env: Env = process.env): boolean {
  const problems: string[] = [];
  const readOnly = parseFlag(env.CONTRACT_READ_ONLY, 'CONTRACT_READ_ONLY', problems);
  if (problems.length > 0) throw new UserError(problems.join('; '));
  return readOnly;
}

function remoteTarget(rawBaseUrl: string, env: Env, readOnly: boolean): TargetConfig {
  const problems: string[] = [];
  const baseUrl = parseBaseUrl(rawBaseUrl, problems);
  const customerId = nonEmpty(env.API_CUSTOMER_ID);
  const token = readToken(env, 'API_TOKEN', 'API_TOKEN_FILE', problems);
  const missing: string[] = [];
  if (!customerId) missing.push('API_CUSTOMER_ID');
  if (!token && !problems.some((p) => p.includes('API_TOKEN'))) missing.push('API_TOKEN (or API_TOKEN_FILE)');
  if (missing.length > 0) {
    problems.unshift(`API_BASE_URL is set, so the real target needs credentials: set ${missing.join(' and ')}`);
  }
  const allowDelete = parseFlag(env.API_ALLOW_DELETE, 'API_ALLOW_DELETE', problems);
  const deleteCustomerId = nonEmpty(env.API_DELETE_CUSTOMER_ID);
  const deleteToken = readToken(env, 'API_DELETE_TOKEN', 'API_DELETE_TOKEN_FILE', problems);
  const otherCustomerId = nonEmpty(env.API_OTHER_CUSTOMER_ID);
  if (allowDelete && !readOnly) {
    if (!deleteCustomerId || !deleteToken) {
      problems.push('API_ALLOW_DELETE is on, so the DELETE spec needs a dedicated disposable customer: set API_DELETE_CUSTOMER_ID and API_DELETE_TOKEN (or API_DELETE_TOKEN_FILE)');
    } else if (deleteCustomerId === customerId || deleteCustomerId === otherCustomerId) {
      problems.push('API_DELETE_CUSTOMER_ID must be a dedicated disposable customer, not API_CUSTOMER_ID or API_OTHER_CUSTOMER_ID: the DELETE spec deletes it for good');
    }
  }
  if (problems.length > 0 || !baseUrl || !customerId || !token) throw new UserError(problems.join('; '));
  return {
    kind: 'remote',
    baseUrl,
    customerId,
    token,
    authScheme: parseScheme(env.API_AUTH_SCHEME),
    missingCustomerId: nonEmpty(env.API_MISSING_CUSTOMER_ID) ?? defaultMissingCustomerId,
    otherCustomerId,
    readOnly,
    allowDelete,
    deleteCustomerId,
    deleteToken,
  };
}

function simulatorTarget(env: Env): TargetConfig {
  const handoff = env[simulatorHandoffVariable];
  if (!handoff) {
    throw new UserError('API_BASE_URL is not set and no embedded simulator is running: run the suite with `npm run contract` (or `npx playwright test`), or set API_BASE_URL');
  }
  const state = JSON.parse(handoff) as SimulatorHandoff;
  const byRole = (role: SimulatorHandoff['customers'][number]['role']) => {
    const customer = state.customers.find((c) => c.role === role);
    if (!customer) throw new Error(`the embedded simulator has no ${role} customer`);
    return customer;
  };
  const primary = byRole('primary');
  const disposable = byRole('disposable');
  return {
    kind: 'simulator',
    baseUrl: state.baseUrl,
    customerId: primary.id,
    token: new Secret(primary.token),
    authScheme: 'Bearer',
    missingCustomerId: defaultMissingCustomerId,
    otherCustomerId: byRole('other').id,
    readOnly: false,
    // The simulator is disposable: the DELETE spec always runs against it.
    allowDelete: true,
    deleteCustomerId: disposable.id,
    deleteToken: new Secret(disposable.token),
  };
}

/** The Authorization header value for a token under a scheme (`none` = the raw token). */
export function authorizationValue(scheme: string, token: Secret): string {
  return scheme.toLowerCase() === 'none' ? token.reveal() : `${scheme} ${token.reveal()}`;
}

function parseBaseUrl(raw: string, problems: string[]): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    problems.push(`API_BASE_URL "${raw}" is not a URL: give the full base URL, e.g. https://integrationscore.mum1.exotel.com/v2/integrations`);
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    problems.push(`API_BASE_URL must be an http(s) URL, not ${url.protocol}`);
    return undefined;
  }
  if (url.username || url.password || url.search || url.hash) {
    problems.push('API_BASE_URL must not carry credentials, a query or a fragment: put the token in API_TOKEN or API_TOKEN_FILE');
    return undefined;
  }
  return url.toString().replace(/\/+$/, '');
}

function readToken(env: Env, valueKey: string, fileKey: string, problems: string[]): Secret | undefined {
  const value = nonEmpty(env[valueKey]);
  const file = nonEmpty(env[fileKey]);
  if (value && file) {
    problems.push(`set ${valueKey} or ${fileKey}, not both`);
    return undefined;
  }
  if (value) return new Secret(value);
  if (!file) return undefined;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8').trim();
  } catch {
    problems.push(`${fileKey} names ${file}, which cannot be read: check the path and permissions`);
    return undefined;
  }
  if (!text) problems.push(`${fileKey} names ${file}, which is empty`);
  return text ? new Secret(text) : undefined;
}

function parseFlag(raw: string | undefined, key: string, problems: string[]): boolean {
  const value = raw?.trim().toLowerCase();
  if (!value || value === '0' || value === 'false') return false;
  if (value === '1' || value === 'true') return true;
  problems.push(`${key} must be 1/true or 0/false, not "${raw}"`);
  return false;
}

function parseScheme(raw: string | undefined): string {
  const scheme = raw?.trim() || 'Bearer';
  if (!/^[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*$/.test(scheme)) {
    throw new UserError(`API_AUTH_SCHEME "${raw}" is not an HTTP auth scheme (e.g. Bearer, or none for a raw token)`);
  }
  return scheme;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** An API_* variable one or two edits away from a known name is a typo that would silently change the run. */
function rejectTypos(env: Env): void {
  const known = Object.keys(targetVariables);
  for (const key of Object.keys(env)) {
    if (!key.startsWith('API_') || known.includes(key)) continue;
    const near = known.find((name) => editDistance(name, key) <= 2);
    if (near) throw new UserError(`unknown variable ${key}: did you mean ${near}?`);
  }
}

function editDistance(a: string, b: string): number {
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
