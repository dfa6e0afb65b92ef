// The target, from API_* environment variables: the embedded simulator by default, a real API by choice.
// `loadBaseTarget` is what both the exporter and the contract gate need (URL, customer, token, scheme);
// `loadTargetConfig` is the gate's, with its DELETE and cross-tenant rules on top.
import { loadToken, type TokenSource } from './credentials';
import { UserError } from './errors';
import { Secret } from './secret';
import { emptyTargetVariableProblems, flagSetting, rejectUnknownVariables, targetVariables as knownTargetVariables, type Env } from './settings';

export { authorizationValue } from './credentials';

/** The interface's variable names, with what each means (README's configuration table is written from this). */
export const targetVariables = knownTargetVariables;

/** Where requests go and with which credential: all the exporter needs. */
export interface BaseTargetConfig {
  /** `simulator` when API_BASE_URL is unset (the embedded reference simulator), `remote` otherwise. */
  kind: 'simulator' | 'remote';
  /** Base URL including `/v2/integrations`, without a trailing slash. */
  baseUrl: string;
  customerId: string;
  token: Secret;
  /** Authorization scheme; `none` sends the raw token as the whole header value. */
  authScheme: string;
  /** Where `token` came from: the exporter re-reads a file when it is rotated. */
  tokenSource?: TokenSource;
}

/** Where the contract suite sends requests and with which credentials. */
export interface TargetConfig extends BaseTargetConfig {
  missingCustomerId: string;
  otherCustomerId: string | undefined;
  /** CONTRACT_READ_ONLY: no state-changing request is ever sent; DELETE is off and its credentials are dropped. */
  readOnly: boolean;
  allowDelete: boolean;
  deleteCustomerId: string | undefined;
  deleteToken: Secret | undefined;
}

/** Internal: how the embedded simulator, started by the run, tells the workers where it is. Not for users. */
export const simulatorHandoffVariable = 'CONTRACT_SUITE_SIMULATOR';

/** What the run's global setup hands to workers when it started the embedded simulator. */
export interface SimulatorHandoff {
  baseUrl: string;
  customers: ReadonlyArray<{ id: string; token: string; role: CustomerRole }>;
}

/** Whose a simulator customer is: the configured token's, another tenant's, or the disposable one DELETE may use up. */
export type CustomerRole = 'primary' | 'other' | 'disposable';

/** The customer with this role among `customers` (seeded, running or handed off); throws naming the role when there is none. */
export function customerWithRole<C extends { readonly role: CustomerRole }>(customers: ReadonlyArray<C>, role: CustomerRole): C {
  const customer = customers.find((c) => c.role === role);
  if (!customer) throw new Error(`the simulator has no ${role} customer`);
  return customer;
}

const defaultMissingCustomerId = 'cust_contract_suite_missing_0000';

/** The target the exporter probes: URL, customer, token and scheme; throws one UserError naming everything that is wrong. */
export function loadBaseTarget(env: Env = process.env): BaseTargetConfig {
  rejectUnknownVariables(env);
  const problems: string[] = emptyTargetVariableProblems(env);
  const base = collectBase(env, problems);
  if (problems.length > 0 || !base) throw new UserError(problems.join('; '));
  return base;
}

/** The contract gate's target: the base target plus the gate's rules; throws one UserError naming everything that is wrong. */
export function loadTargetConfig(env: Env = process.env): TargetConfig {
  rejectUnknownVariables(env);
  const problems: string[] = emptyTargetVariableProblems(env);
  const readOnly = flagSetting(env.CONTRACT_READ_ONLY, 'CONTRACT_READ_ONLY', problems);
  const base = collectBase(env, problems);
  const target = base?.kind === 'simulator' ? simulatorGateTarget(base, env) : remoteGateTarget(base, env, readOnly, problems);
  if (problems.length > 0 || !target) throw new UserError(problems.join('; '));
  // Read-only wins over every DELETE setting: without the disposable credential nothing can delete anything.
  return readOnly ? { ...target, readOnly, allowDelete: false, deleteCustomerId: undefined, deleteToken: undefined } : target;
}

/** `remote` when API_BASE_URL is set, `simulator` otherwise: the rule the loaders use, for code that needs no credentials. */
export function targetKind(env: Env = process.env): TargetConfig['kind'] {
  return env.API_BASE_URL?.trim() ? 'remote' : 'simulator';
}

/** Whether CONTRACT_READ_ONLY asks for a read-only run; a value that is not a flag throws rather than risk a DELETE. */
export function isReadOnlyRun(env: Env = process.env): boolean {
  const problems: string[] = [];
  const readOnly = flagSetting(env.CONTRACT_READ_ONLY, 'CONTRACT_READ_ONLY', problems);
  if (problems.length > 0) throw new UserError(problems.join('; '));
  return readOnly;
}

function collectBase(env: Env, problems: string[]): BaseTargetConfig | undefined {
  const rawBaseUrl = env.API_BASE_URL?.trim();
  // Set but empty is not unset (emptyTargetVariableProblems has said so): never the simulator by accident.
  if (!rawBaseUrl) return env.API_BASE_URL === undefined ? simulatorBase(env) : undefined;
  const baseUrl = parseBaseUrl(rawBaseUrl, env, problems);
  const customerId = customerIdSetting(env, 'API_CUSTOMER_ID', problems);
  const loaded = loadToken(env, 'API_TOKEN', 'API_TOKEN_FILE', problems);
  const missing: string[] = [];
  if (!nonEmpty(env.API_CUSTOMER_ID)) missing.push('API_CUSTOMER_ID');
  if (!loaded && !problems.some((p) => p.includes('API_TOKEN'))) missing.push('API_TOKEN (or API_TOKEN_FILE)');
  if (missing.length > 0) {
    problems.unshift(`API_BASE_URL is set, so the real target needs credentials: set ${missing.join(' and ')}`);
  }
  const authScheme = parseScheme(env.API_AUTH_SCHEME, problems);
  if (!baseUrl || !customerId || !loaded) return undefined;
  return { kind: 'remote', baseUrl, customerId, token: loaded.token, authScheme, tokenSource: loaded.source };
}

function readHandoff(env: Env): SimulatorHandoff {
  const handoff = env[simulatorHandoffVariable];
  if (!handoff) {
    throw new UserError(
      'API_BASE_URL is not set and no embedded simulator is running: run the suite with `npm run contract` (or `npx playwright test`), or set API_BASE_URL',
    );
  }
  return JSON.parse(handoff) as SimulatorHandoff;
}

function simulatorBase(env: Env): BaseTargetConfig {
  const state = readHandoff(env);
  const primary = customerWithRole(state.customers, 'primary');
  const token = new Secret(primary.token);
  return { kind: 'simulator', baseUrl: state.baseUrl, customerId: primary.id, token, authScheme: 'Bearer', tokenSource: { kind: 'value', token } };
}

function simulatorGateTarget(base: BaseTargetConfig, env: Env): TargetConfig {
  const state = readHandoff(env);
  const disposable = customerWithRole(state.customers, 'disposable');
  return {
    ...base,
    missingCustomerId: defaultMissingCustomerId,
    otherCustomerId: customerWithRole(state.customers, 'other').id,
    readOnly: false,
    // The simulator is disposable: the DELETE spec always runs against it.
    allowDelete: true,
    deleteCustomerId: disposable.id,
    deleteToken: new Secret(disposable.token),
  };
}

/** The ids the gate compares, in the order a clash is reported: the later one of a clashing pair is the one to fix. */
type IdKey = 'API_CUSTOMER_ID' | 'API_OTHER_CUSTOMER_ID' | 'API_DELETE_CUSTOMER_ID' | 'API_MISSING_CUSTOMER_ID';
const idFixes: Readonly<Record<Exclude<IdKey, 'API_CUSTOMER_ID'>, string>> = {
  API_OTHER_CUSTOMER_ID: "give another tenant's existing customer, or unset it",
  API_DELETE_CUSTOMER_ID: 'give a dedicated disposable customer, which the DELETE spec deletes for good',
  API_MISSING_CUSTOMER_ID: `give an id that does not exist, or unset it (default ${defaultMissingCustomerId})`,
};

function remoteGateTarget(base: BaseTargetConfig | undefined, env: Env, readOnly: boolean, problems: string[]): TargetConfig | undefined {
  const allowDelete = flagSetting(env.API_ALLOW_DELETE, 'API_ALLOW_DELETE', problems);
  const otherCustomerId = customerIdSetting(env, 'API_OTHER_CUSTOMER_ID', problems);
  const deleteCustomerId = customerIdSetting(env, 'API_DELETE_CUSTOMER_ID', problems);
  const missingCustomerId = customerIdSetting(env, 'API_MISSING_CUSTOMER_ID', problems) ?? defaultMissingCustomerId;
  const deleteToken = loadToken(env, 'API_DELETE_TOKEN', 'API_DELETE_TOKEN_FILE', problems)?.token;

  // Every id names a different customer, however it is spelt: a 404 or cross-tenant probe aimed at the primary customer
  // with the disposable credential is a DELETE of the primary customer.
  const ids: ReadonlyArray<[IdKey, string | undefined]> = [
    ['API_CUSTOMER_ID', base?.customerId],
    ['API_OTHER_CUSTOMER_ID', otherCustomerId],
    ['API_DELETE_CUSTOMER_ID', deleteCustomerId],
    ['API_MISSING_CUSTOMER_ID', missingCustomerId],
  ];
  const clashing = new Set<IdKey>();
  for (let later = 1; later < ids.length; later++) {
    const [laterKey, laterId] = ids[later]!;
    for (let earlier = 0; earlier < later; earlier++) {
      const [earlierKey, earlierId] = ids[earlier]!;
      if (laterId === undefined || earlierId === undefined || clashing.has(laterKey) || !sameOrAlias(laterId, earlierId)) continue;
      clashing.add(laterKey);
      problems.push(
        `${laterKey} must not be ${earlierKey} (the same customer once spaces, percent-encoding, letter case, trailing "/" or "." and a suffix such as ";v=1" or ".json" are ignored): ${idFixes[laterKey as Exclude<IdKey, 'API_CUSTOMER_ID'>]}`,
      );
    }
  }
  if (deleteToken && base && deleteToken.reveal() === base.token.reveal()) {
    problems.push(
      "API_DELETE_TOKEN must not be API_TOKEN: give the disposable customer's own token (with the primary customer's token a DELETE can reach the primary customer)",
    );
  }
  if (allowDelete && !readOnly && (!deleteCustomerId || !deleteToken) && !problems.some((p) => p.includes('API_DELETE_'))) {
    problems.push(
      'API_ALLOW_DELETE is on, so the DELETE spec needs a dedicated disposable customer: set API_DELETE_CUSTOMER_ID and API_DELETE_TOKEN (or API_DELETE_TOKEN_FILE)',
    );
  }
  if (!base) return undefined;
  return { ...base, missingCustomerId, otherCustomerId, readOnly, allowDelete, deleteCustomerId, deleteToken };
}

/** A customer id setting, trimmed and checked by `customerIdProblem`; undefined when unset or refused (refusals go to `problems`). */
function customerIdSetting(env: Env, key: string, problems: string[]): string | undefined {
  const id = nonEmpty(env[key]);
  if (id === undefined) return undefined;
  const problem = customerIdProblem(id);
  if (problem) {
    problems.push(`${key} ${JSON.stringify(id)} ${problem}: give the bare customer id, e.g. cust_abc123`);
    return undefined;
  }
  return id;
}

/**
 * Why an id cannot be put in a URL path as one segment, or undefined when it can: a path separator (`/`, `\`), `..`, `?`,
 * `#`, a control character, or any of these percent-encoded (at any depth) or in a compatibility form (e.g. fullwidth `／`)
 * would send the request, a DELETE included, somewhere other than this customer.
 */
export function customerIdProblem(id: string): string | undefined {
  const decoded = percentDecodeFully(id);
  const encoded = decoded !== id ? ' (percent-encoded)' : '';
  for (const [form, note] of [
    [id, ''],
    [decoded, encoded],
    [decoded.normalize('NFKC'), encoded || ' (in a compatibility form)'],
  ] as const) {
    if (/[\u0000-\u001f\u007f-\u009f]/.test(form)) return `contains a control character${note}`;
    if (/[/\\]/.test(form)) return `contains a path separator ("/" or "\\")${note}`;
    if (form.includes('..') || /^\.+$/.test(form)) return `contains ".." or is only dots${note}, a path step rather than an id`;
    if (form.includes('?')) return `contains "?"${note}, which starts a query`;
    if (form.includes('#')) return `contains "#"${note}, which starts a fragment`;
  }
  return undefined;
}

/** Whether two ids name the same customer for a lenient server: compared trimmed, percent-decoded, case-folded, without trailing `/` or `.`. */
export function sameCustomerId(a: string, b: string): boolean {
  return normalizeCustomerId(a) === normalizeCustomerId(b);
}

/** Whether either id is an alias of the other (`isCustomerIdAlias`): the relay would refuse a DELETE to it as the other. */
function sameOrAlias(a: string, b: string): boolean {
  return isCustomerIdAlias(a, b) || isCustomerIdAlias(b, a);
}

/** The form `sameCustomerId` compares. */
export function normalizeCustomerId(id: string): string {
  return percentDecodeFully(id.trim())
    .normalize('NFKC')
    .trim()
    .toLowerCase()
    .replace(/[/.]+$/, '');
}

/**
 * Whether a path segment may reach the customer `id` on a lenient server: the same customer by `sameCustomerId`, or, once
 * percent-decoded, in compatibility form (NFKC) and case-folded, the id followed by a character no id has (`cust_X;v=1`,
 * `cust_X.json`, `cust_X.`, `cust_X%2E`, `cust_X~`, `ｃｕｓｔ_X`): many servers drop matrix parameters and suffixes.
 * An id's own characters are letters, digits, `_` and `-`: `cust_X1` is another customer.
 */
export function isCustomerIdAlias(segment: string, id: string): boolean {
  if (sameCustomerId(segment, id)) return true;
  const fold = (text: string): string => percentDecodeFully(text.trim()).normalize('NFKC').trim().toLowerCase();
  const candidate = fold(segment);
  const own = fold(id).replace(/[/.]+$/, '');
  return own.length > 0 && candidate.startsWith(own) && !/^[\p{L}\p{N}_-]/u.test(candidate.slice(own.length));
}

/** Percent-decodes until nothing changes (so `%252F` is `/`); a malformed sequence is decoded byte by byte. */
function percentDecodeFully(text: string): string {
  let current = text;
  for (let i = 0; i < 8 && current.includes('%'); i++) {
    let next: string;
    try {
      next = decodeURIComponent(current);
    } catch {
      next = current.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    }
    if (next === current) break;
    current = next;
  }
  return current;
}

function parseBaseUrl(raw: string, env: Env, problems: string[]): string | undefined {
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
  const clearText = clearTextProblem(url, env, 'API_BASE_URL');
  if (clearText) {
    problems.push(clearText);
    return undefined;
  }
  return url.toString().replace(/\/+$/, '');
}

/** The variable that lets a token go in clear text over http:// to a host that is not loopback. */
export const insecureHttpVariable = 'API_ALLOW_INSECURE_HTTP';

/** Whether a URL's host is this machine: `localhost`, 127.0.0.0/8 or ::1 (the token never leaves it). */
export function isLoopbackUrl(url: URL): boolean {
  const host = url.hostname.toLowerCase();
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

const insecureNoticesPrinted = new Set<string>();

/**
 * Why a token must not be sent to this URL (one line naming `label`), or undefined: `http://` to a host that is not
 * loopback sends the token in clear text, so it is refused unless API_ALLOW_INSECURE_HTTP=1 opts in; that opt-in is
 * printed on stderr, once per origin and process, so a log always shows it.
 */
export function clearTextProblem(url: URL, env: Env, label: string): string | undefined {
  if (url.protocol !== 'http:' || isLoopbackUrl(url)) return undefined;
  const problems: string[] = [];
  if (flagSetting(env[insecureHttpVariable], insecureHttpVariable, problems)) {
    if (!insecureNoticesPrinted.has(url.origin)) {
      insecureNoticesPrinted.add(url.origin);
      process.stderr.write(`warning: ${insecureHttpVariable}=1: the token goes to ${url.origin} in clear text (http://, not loopback)\n`);
    }
    return undefined;
  }
  return (
    problems[0] ??
    `${label} would send the token to ${url.origin} in clear text (http:// to a host that is not loopback): use https://, or set ${insecureHttpVariable}=1 to accept that`
  );
}

function parseScheme(raw: string | undefined, problems: string[]): string {
  const scheme = raw?.trim() || 'Bearer';
  if (!/^[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*$/.test(scheme)) {
    problems.push(`API_AUTH_SCHEME ${JSON.stringify(raw)} is not an HTTP auth scheme (e.g. Bearer, or none for a raw token)`);
  }
  return scheme;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}
