// Access control the Prometheus way: the exporter-toolkit web configuration file (TLS and basic auth), strictly validated.
// Format: https://github.com/prometheus/exporter-toolkit/blob/master/docs/web-configuration.md
import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import bcrypt from 'bcryptjs';
import YAML from 'yaml';
import { UserError } from '../../config/errors';

/** How the server treats client certificates; the names and meanings of Go's tls.ClientAuthType. */
export const clientAuthTypes = ['NoClientCert', 'RequestClientCert', 'RequireAnyClientCert', 'VerifyClientCertIfGiven', 'RequireAndVerifyClientCert'] as const;
export type ClientAuthType = (typeof clientAuthTypes)[number];

const tlsVersions = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' } as const satisfies Record<string, tls.SecureVersion>;
type TlsVersionName = keyof typeof tlsVersions;

/** The TLS part of a web configuration, with every file already read. */
export interface WebTlsConfig {
  cert: Buffer;
  key: Buffer;
  clientCa: Buffer | undefined;
  clientAuthType: ClientAuthType;
  minVersion: tls.SecureVersion;
  maxVersion: tls.SecureVersion;
}

/** A loaded web configuration: TLS when `tls` is set, basic auth when `users` is not empty. */
export interface WebConfig {
  file: string;
  tls: WebTlsConfig | undefined;
  /** User name → bcrypt hash. */
  users: ReadonlyMap<string, string>;
  /** Extra response headers (http_server_config.headers). */
  headers: ReadonlyArray<readonly [string, string]>;
}

const topLevelKeys = ['tls_server_config', 'http_server_config', 'basic_auth_users'] as const;
const tlsKeys = ['cert_file', 'key_file', 'cert', 'key', 'client_ca_file', 'client_ca', 'client_auth_type', 'min_version', 'max_version'] as const;
const httpKeys = ['http2', 'headers'] as const;
const headerNames = ['Content-Security-Policy', 'X-Frame-Options', 'X-Content-Type-Options', 'X-XSS-Protection', 'Strict-Transport-Security'] as const;
/** Keys exporter-toolkit knows that this exporter does not implement: refused by name rather than silently ignored. */
const notImplemented: Readonly<Record<string, string>> = {
  rate_limit: 'rate_limit',
  'tls_server_config.client_allowed_sans': 'client_allowed_sans',
  'tls_server_config.cipher_suites': 'cipher_suites (Node chooses its own secure defaults)',
  'tls_server_config.prefer_server_cipher_suites': 'prefer_server_cipher_suites',
  'tls_server_config.curve_preferences': 'curve_preferences',
};
/** A bcrypt hash in modular crypt format: $2a$, $2b$ or $2y$, a two-digit cost, 22 characters of salt and 31 of hash. */
const bcryptPattern = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/;

/**
 * Loads and strictly validates a web configuration file: unknown keys, unreadable files, bad PEM, bad hashes and
 * contradictory settings are each one UserError naming the file and the key. Nothing secret is quoted.
 */
export function loadWebConfig(file: string): WebConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new UserError(`web configuration file ${file} cannot be read: check the path and permissions`);
  }
  const fail = (key: string, what: string): never => {
    throw new UserError(`${file}: ${key ? `key "${key}": ` : ''}${what}`);
  };
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (error) {
    // Only the first line: the rest of the yaml package's message quotes the file, which may hold hashes.
    fail('', `is not valid YAML: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) doc = {};
  if (!isRecord(doc)) return fail('', 'must be a mapping (tls_server_config, http_server_config, basic_auth_users)');
  checkKeys(doc, topLevelKeys, '', fail);

  const base = path.dirname(path.resolve(file));
  const tlsConfig = doc.tls_server_config === undefined || doc.tls_server_config === null ? undefined : loadTls(doc.tls_server_config, base, fail);
  const users = loadUsers(doc.basic_auth_users, fail);
  const headers = loadHttp(doc.http_server_config, fail);
  return { file, tls: tlsConfig, users, headers };
}

function loadTls(value: unknown, base: string, fail: (key: string, what: string) => never): WebTlsConfig {
  const at = (key: string): string => `tls_server_config.${key}`;
  if (!isRecord(value)) return fail('tls_server_config', 'must be a mapping');
  checkKeys(value, tlsKeys, 'tls_server_config', fail);
  const str = (key: string): string | undefined => {
    const v = value[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string' || v.trim() === '') return fail(at(key), 'must be a non-empty string');
    return v;
  };
  // A relative path is relative to the web configuration file, like the targets file's token_file.
  const readFile = (key: string, must: 'certificate' | 'private key'): Buffer | undefined => {
    const name = str(key);
    if (name === undefined) return undefined;
    const resolved = path.resolve(base, name);
    let content: Buffer;
    try {
      content = fs.readFileSync(resolved);
    } catch {
      return fail(at(key), `names ${resolved}, which cannot be read`);
    }
    return pem(content, key, must, fail);
  };
  const inline = (key: string, must: 'certificate' | 'private key'): Buffer | undefined => {
    const v = str(key);
    return v === undefined ? undefined : pem(Buffer.from(v), key, must, fail);
  };
  const pair = (fileKey: string, inlineKey: string, must: 'certificate' | 'private key'): Buffer | undefined => {
    if (value[fileKey] !== undefined && value[inlineKey] !== undefined) fail(at(fileKey), `give ${fileKey} or ${inlineKey}, not both`);
    return readFile(fileKey, must) ?? inline(inlineKey, must);
  };
  const cert = pair('cert_file', 'cert', 'certificate');
  const key = pair('key_file', 'key', 'private key');
  if (!cert) fail(at('cert_file'), 'is required (or cert): TLS needs a certificate');
  if (!key) fail(at('key_file'), "is required (or key): TLS needs the certificate's private key");
  const clientCa = pair('client_ca_file', 'client_ca', 'certificate');

  const authText = str('client_auth_type') ?? 'NoClientCert';
  if (!(clientAuthTypes as readonly string[]).includes(authText))
    fail(at('client_auth_type'), `"${authText.slice(0, 40)}" is not one of ${clientAuthTypes.join(', ')}`);
  const clientAuthType = authText as ClientAuthType;
  const verifies = clientAuthType === 'VerifyClientCertIfGiven' || clientAuthType === 'RequireAndVerifyClientCert';
  if (verifies && !clientCa)
    fail(at('client_ca_file'), `is required when client_auth_type is ${clientAuthType}: it is what client certificates are verified against`);
  if (clientCa && clientAuthType === 'NoClientCert')
    fail(at('client_auth_type'), 'client_ca_file is set but client_auth_type is NoClientCert: set RequireAndVerifyClientCert (or drop client_ca_file)');

  const version = (key: string, fallback: TlsVersionName): tls.SecureVersion => {
    const v = str(key) ?? fallback;
    if (!(v in tlsVersions)) return fail(at(key), `"${v.slice(0, 20)}" is not one of ${Object.keys(tlsVersions).join(', ')}`);
    return tlsVersions[v as TlsVersionName];
  };
  const minVersion = version('min_version', 'TLS12');
  const maxVersion = version('max_version', 'TLS13');
  const order = Object.values(tlsVersions) as string[];
  if (order.indexOf(minVersion) > order.indexOf(maxVersion)) fail(at('min_version'), 'is above max_version');
  // Let OpenSSL judge the pair now (a key of another certificate, a corrupt PEM), so it is a startup error with a name.
  try {
    tls.createSecureContext({ cert, key, ca: clientCa, minVersion, maxVersion });
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 120);
    fail(at(value.cert_file !== undefined ? 'key_file' : 'key'), `cannot be used with the certificate: ${reason}`);
  }
  return { cert, key, clientCa, clientAuthType, minVersion, maxVersion };
}

function loadUsers(value: unknown, fail: (key: string, what: string) => never): Map<string, string> {
  const users = new Map<string, string>();
  if (value === undefined || value === null) return users;
  if (!isRecord(value)) return fail('basic_auth_users', 'must be a mapping of user name to bcrypt hash');
  for (const [user, hash] of Object.entries(value)) {
    const at = `basic_auth_users.${user.slice(0, 64)}`;
    if (user === '' || user.includes(':') || /[\u0000-\u001f\u007f]/.test(user))
      fail(at, 'a user name must be non-empty, without ":" or control characters (HTTP basic auth cannot carry them)');
    if (typeof hash !== 'string') return fail(at, 'must be a bcrypt hash (a string like $2y$10$…)');
    const match = bcryptPattern.exec(hash.trim());
    // The hash is not quoted back: it is a password's stand-in.
    if (!match)
      fail(at, 'is not a bcrypt hash ($2a$, $2b$ or $2y$, cost, 53 characters of salt and hash): generate one with `htpasswd -nBC 10 "" | tr -d \':\\n\'`');
    const cost = Number(match[1]);
    if (cost < 4 || cost > 31) fail(at, `has bcrypt cost ${cost}; it must be from 4 to 31`);
    users.set(user, hash.trim());
  }
  return users;
}

function loadHttp(value: unknown, fail: (key: string, what: string) => never): Array<[string, string]> {
  if (value === undefined || value === null) return [];
  if (!isRecord(value)) return fail('http_server_config', 'must be a mapping');
  checkKeys(value, httpKeys, 'http_server_config', fail);
  // http2 is accepted so toolkit files load; this exporter serves HTTP/1.1 either way (Prometheus scrapes both).
  if (value.http2 !== undefined && typeof value.http2 !== 'boolean') fail('http_server_config.http2', 'must be true or false');
  const headers: Array<[string, string]> = [];
  if (value.headers === undefined || value.headers === null) return headers;
  if (!isRecord(value.headers)) return fail('http_server_config.headers', 'must be a mapping of header name to value');
  for (const [name, v] of Object.entries(value.headers)) {
    const at = `http_server_config.headers.${name.slice(0, 64)}`;
    if (!(headerNames as readonly string[]).includes(name)) fail(at, `unknown header (allowed: ${headerNames.join(', ')})`);
    if (typeof v !== 'string' || /[\r\n]/.test(v)) fail(at, 'must be a one-line string');
    if (v !== '') headers.push([name, v]);
  }
  return headers;
}

function pem(content: Buffer, key: string, must: 'certificate' | 'private key', fail: (key: string, what: string) => never): Buffer {
  const text = content.toString('utf8');
  const ok = must === 'certificate' ? /-----BEGIN CERTIFICATE-----/.test(text) : /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/.test(text);
  if (!ok) fail(`tls_server_config.${key}`, `is not a PEM ${must}`);
  return content;
}

function checkKeys(record: Record<string, unknown>, allowed: ReadonlyArray<string>, where: string, fail: (key: string, what: string) => never): void {
  for (const key of Object.keys(record)) {
    const full = where ? `${where}.${key}` : key;
    if (allowed.includes(key)) continue;
    const missing = notImplemented[full];
    if (missing) fail(full, `${missing} is part of the exporter-toolkit format but not implemented by this exporter: remove it`);
    fail(full, `unknown key (allowed${where ? ` in ${where}` : ''}: ${allowed.join(', ')})`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** At most this many remembered successful logins; beyond it the cache starts again (a few users, a few passwords). */
const maxCachedLogins = 1_000;
/**
 * A cost-10 hash of 24 random bytes nobody kept: checked for unknown users, so a wrong user name costs as much as a
 * wrong password and response times do not tell which user names exist.
 */
const decoyHash = '$2b$10$Hm98bkuf4BLe5KyVcg.ydew1FELbH/tvB2eIeJv9M9aqwp9ypvN7K';

/** How many bcrypt comparisons may run at once by default: each holds the one event loop for tens of milliseconds at cost 10. */
export const defaultMaxConcurrentComparisons = 2;

/** The outcome of one authentication: in, out, or refused unchecked because the comparisons in flight are at the cap. */
export type AuthOutcome = { kind: 'ok'; user: string } | { kind: 'denied' } | { kind: 'busy' };

/** Compares a password with a bcrypt hash; injectable so tests can count comparisons. */
export type PasswordComparator = (password: string, hash: string) => Promise<boolean>;

/**
 * Checks `Authorization: Basic …` against the configured bcrypt hashes. bcrypt is slow on purpose (tens of ms at cost
 * 10, on the event loop with bcryptjs), so:
 * - a successful check is remembered under an HMAC of the presented credentials with a key drawn at start-up (never
 *   the password, nor a plain hash of it): Prometheus sends the same credentials every scrape and only the first pays;
 * - at most `maxConcurrent` comparisons run at once; a request arriving while they are all busy is answered at once
 *   (429) without a comparison, so a flood of wrong passwords costs at most that many comparisons at a time and cannot
 *   starve probes or the scrapes whose credentials are remembered. Failures are never cached.
 */
export class BasicAuthChecker {
  readonly #users: ReadonlyMap<string, string>;
  /** HMAC of `user:password` (hex) → user name. */
  readonly #verified = new Map<string, string>();
  readonly #key = randomBytes(32);
  readonly #compare: PasswordComparator;
  readonly #maxConcurrent: number;
  #running = 0;

  constructor(users: ReadonlyMap<string, string>, options: { compare?: PasswordComparator; maxConcurrent?: number } = {}) {
    this.#users = users;
    // Looked up at call time (not bound once), so a test that wraps bcrypt.compare sees every comparison.
    this.#compare = options.compare ?? ((password, hash) => bcrypt.compare(password, hash));
    this.#maxConcurrent = Math.max(1, options.maxConcurrent ?? defaultMaxConcurrentComparisons);
  }

  get enabled(): boolean {
    return this.#users.size > 0;
  }

  /** Comparisons running now (at most maxConcurrent). */
  get running(): number {
    return this.#running;
  }

  /** The authenticated user name, or undefined (wrong, missing or refused while busy). Never throws. */
  async check(authorization: string | undefined): Promise<string | undefined> {
    const outcome = await this.authenticate(authorization);
    return outcome.kind === 'ok' ? outcome.user : undefined;
  }

  /** Whether the header carries configured credentials; `busy` when it would need a comparison and none is free. Never throws. */
  async authenticate(authorization: string | undefined): Promise<AuthOutcome> {
    const credentials = parseBasic(authorization);
    if (!credentials) return { kind: 'denied' };
    const { user, password } = credentials;
    const hash = this.#users.get(user);
    const cacheKey = createHmac('sha256', this.#key)
      .update(`${user}\u0000${password}\u0000${hash ?? ''}`, 'utf8')
      .digest('hex');
    const cached = this.#verified.get(cacheKey);
    if (hash && cached === user) return { kind: 'ok', user };
    if (this.#running >= this.#maxConcurrent) return { kind: 'busy' };
    this.#running += 1;
    let ok: boolean;
    try {
      ok = await this.#compare(password, hash ?? decoyHash);
    } catch {
      ok = false;
    } finally {
      this.#running -= 1;
    }
    if (!ok || !hash) return { kind: 'denied' };
    if (this.#verified.size >= maxCachedLogins) this.#verified.clear();
    this.#verified.set(cacheKey, user);
    return { kind: 'ok', user };
  }
}

function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  const match = /^Basic[ \t]+([A-Za-z0-9+/=._~-]+)[ \t]*$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
