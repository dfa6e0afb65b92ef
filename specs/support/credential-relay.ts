// A loopback relay that adds the Authorization header on the way out, so no token ever enters Playwright's traces or reports.
//
// What it guarantees, whatever the target or another local process does:
// - It can only reach its target: the upstream URL is the configured origin + base path + the request's path, segment by
//   segment, kept encoded; a path that would resolve anywhere else (dot segments, `//`, absolute URLs, backslashes) is
//   refused before a byte leaves. It never follows a redirect: a 3xx goes back to the spec as the answer it is.
// - It answers only this run's workers: every request must carry the per-run key (`x-contract-relay-key`) that global
//   setup made with crypto.randomBytes and handed to the workers; anything else gets 403 and nothing goes upstream.
// - GET, HEAD and OPTIONS (safe methods, RFC 9110 §9.2.1) with any credential. DELETE never to the primary or the other
//   tenant's customer, never in a read-only run or without API_ALLOW_DELETE, and with the primary credential only to exactly
//   the disposable customer's id (the cross-tenant refusal check: if the API wrongly obeys, only the disposable customer is
//   lost). PUT, POST and PATCH (the generated phase's method checks) only without a body, never with the primary
//   credential, never to the primary or the other tenant's customer, never in a read-only run: at worst an API that wrongly
//   accepts one changes the disposable customer or a customer that does not exist.
// - Every request body is refused: the specs send none.
// - Every answer is bounded and scrubbed before a byte goes back: the body is capped compressed and inflated (it asks for
//   `accept-encoding: identity` and inflates with the same cap if the target compresses anyway), and the token is
//   redacted from the status text, every header (arrays included) and the decoded body, in every form redactText knows.
// - It never throws: any failure is a 502 with the relay-error header and a redacted one-line message.
import crypto from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { authorizationValue, type TargetConfig } from '../../config/target';
import { prepareRedaction, redactBytes, redactText, type Secret } from '../../config/secret';

/** Header a spec sets to ask the relay for a credential by name; its value is `primary` or `disposable`, optionally `; scheme=Basic`. */
export const credentialHeader = 'x-contract-credential';
/** Header carrying the run's relay key; the relay refuses (403) any request without it. */
export const relayKeyHeader = 'x-contract-relay-key';
/** Header the relay sets on an answer it made itself (it refused the request or the target's answer); never set by the API. */
export const relayErrorHeader = 'x-contract-relay-error';
/** The default cap on a body, compressed or inflated: 8 MiB. */
export const defaultBodyLimitBytes = 8 * 1024 * 1024;

export type CredentialName = 'primary' | 'disposable';

export interface CredentialRelayOptions {
  /** The run's secret, at least 32 characters; only the workers know it (global setup makes it with crypto.randomBytes). */
  key: string;
  /** Largest body accepted from the target, before and after inflating; default 8 MiB (the gate passes CONTRACT_BODY_LIMIT_BYTES). */
  bodyLimitBytes?: number;
  /** Longest a whole exchange with the target may take; default 20 s (less than a test's 30 s, so the spec says why). */
  upstreamTimeoutMs?: number;
}

export interface CredentialRelay {
  /** Relay root, with a trailing slash: requests to `${url}cust_1/usage` reach `${baseUrl}/cust_1/usage`. */
  url: string;
  /** What the relay has sent to the target so far, by method (refused requests never reach it and are not counted). */
  sent(): RelayTraffic;
  stop(): Promise<void>;
}

/** The requests a run sent to its target: what `requests.json` reports. */
export interface RelayTraffic {
  requests: number;
  byMethod: Record<string, number>;
}

/** The methods the relay sends at all: GET and DELETE (the operations), HEAD and OPTIONS (safe), PUT, POST and PATCH (bodiless method checks). */
const relayedMethods = new Set(['GET', 'DELETE', 'HEAD', 'OPTIONS', 'PUT', 'POST', 'PATCH']);
/** Methods that may change state other than DELETE: never with the primary credential, never to a protected customer, never read-only. */
const stateChangingMethods = new Set(['PUT', 'POST', 'PATCH']);
/** Request headers a spec may pass on to the target; everything else (cookies, hop-by-hop, the relay's own) stays here. */
const forwardedRequestHeaders = new Set(['accept', 'accept-language', 'authorization', 'content-type', 'prefer', 'user-agent']);
/** Response headers the relay never passes back: hop-by-hop, the ones it sets itself, and its own marker. */
const droppedResponseHeaders = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'content-length',
  'content-encoding',
  relayErrorHeader,
]);
const httpToken = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
/** RFC 3986 pchar, pct-encoded triplets checked separately. */
const segmentChars = /^[A-Za-z0-9\-._~!$&'()*+,;=:@%]+$/;
const queryChars = /^[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*$/;
const badPercent = /%(?![0-9A-Fa-f]{2})/;

/** A refusal or failure the relay answers itself. */
class RelayRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Starts the relay on a free loopback port in front of the target. */
export async function startCredentialRelay(target: TargetConfig, options: CredentialRelayOptions): Promise<CredentialRelay> {
  if (options.key.length < 32) throw new Error('the relay key must be at least 32 characters (make it with crypto.randomBytes)');
  const limit = options.bodyLimitBytes ?? defaultBodyLimitBytes;
  if (!Number.isSafeInteger(limit) || limit <= 0) throw new Error(`the relay's body limit must be a positive integer of bytes, not ${limit}`);
  const timeoutMs = options.upstreamTimeoutMs ?? 20_000;
  const upstream = new URL(`${target.baseUrl}/`);
  const origin = upstream.origin;
  const basePath = upstream.pathname.replace(/\/+$/, '');
  const client = upstream.protocol === 'https:' ? https : http;
  const agent = new client.Agent({ keepAlive: true });
  const tokens: Record<CredentialName, Secret | undefined> = { primary: target.token, disposable: target.deleteToken };
  const secrets = [target.token, target.deleteToken];
  const keyDigest = digest(options.key);
  const protectedIds = new Set([target.customerId, target.otherCustomerId].filter((id): id is string => !!id).map((id) => id.trim().toLowerCase()));
  const inFlight = new Set<AbortController>();
  const traffic: RelayTraffic = { requests: 0, byMethod: {} };
  let ownHost = '';

  /** The upstream URL for a request-target, or a refusal: only ever the configured origin under the base path. */
  const upstreamUrl = (requestTarget: string): { url: URL; segments: string[]; query: string; encodedSpecials: boolean } => {
    const refuse = (why: string): never => {
      throw new RelayRefusal(
        403,
        `the relay refused the path ${JSON.stringify(requestTarget.slice(0, 200))}: ${why}; it only ever sends to ${target.baseUrl}/…`,
      );
    };
    if (!requestTarget.startsWith('/') || requestTarget.startsWith('//')) refuse('not a path under the target');
    if (requestTarget.includes('#')) refuse('a fragment');
    const queryAt = requestTarget.indexOf('?');
    const pathPart = queryAt === -1 ? requestTarget.slice(1) : requestTarget.slice(1, queryAt);
    const query = queryAt === -1 ? '' : requestTarget.slice(queryAt + 1);
    // One trailing slash (`/cust_abc123/`) is a path of its own on most servers, not a trick: kept, and sent only in GET or HEAD.
    const trailingSlash = pathPart.length > 1 && pathPart.endsWith('/') && !pathPart.endsWith('//');
    const segments = (trailingSlash ? pathPart.slice(0, -1) : pathPart).split('/');
    let encodedSpecials = trailingSlash;
    for (const segment of segments) {
      if (!segment) refuse('an empty segment');
      if (!segmentChars.test(segment) || badPercent.test(segment)) refuse('characters outside a URL path segment');
      const decoded = safeDecode(segment);
      // A dot segment is refused even where a target would only see it after decoding an encoded separator (`..%2F`).
      if (decoded === undefined || decoded.split(/[/\\]/).some((part) => part === '.' || part === '..'))
        refuse('a dot segment, an encoded separator or a control character');
      if (decoded !== undefined && /[/\\\u0000-\u001f\u007f]/.test(decoded)) encodedSpecials = true;
    }
    if (!queryChars.test(query) || badPercent.test(query)) refuse('characters outside a URL query');
    const built = `${origin}${basePath}/${segments.join('/')}${trailingSlash ? '/' : ''}${queryAt === -1 ? '' : `?${query}`}`;
    let url: URL;
    try {
      url = new URL(built);
    } catch {
      return refuse('not a URL once joined to the target');
    }
    // The joined URL must be exactly what was built: nothing normalised away, and the same origin and base path.
    if (url.origin !== origin || url.href !== built || !url.pathname.startsWith(`${basePath}/`)) refuse('it resolves outside the target');
    return { url, segments: segments.map((segment) => safeDecode(segment) ?? segment), query, encodedSpecials };
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    // DNS rebinding: a browser page that resolves its own name to 127.0.0.1 still sends its own Host.
    if (req.headers.host !== ownHost) throw new RelayRefusal(403, `the relay answers only requests to ${ownHost}`);
    const key = req.headers[relayKeyHeader];
    if (typeof key !== 'string' || !crypto.timingSafeEqual(digest(key), keyDigest)) {
      throw new RelayRefusal(403, `the relay answers only this run's workers: the ${relayKeyHeader} header is missing or wrong`);
    }
    const method = req.method ?? '';
    if (!relayedMethods.has(method)) throw new RelayRefusal(403, `the relay only sends ${[...relayedMethods].join(', ')}, not ${method.slice(0, 20)}`);
    const { url, segments, query, encodedSpecials } = upstreamUrl(req.url ?? '');

    const headers: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (forwardedRequestHeaders.has(name) && value !== undefined) headers[name] = value;
    }
    headers['accept-encoding'] = 'identity';
    const marker = req.headers[credentialHeader];
    let credential: CredentialName | undefined;
    if (marker !== undefined) {
      if (typeof marker !== 'string') throw new RelayRefusal(403, `one ${credentialHeader} header, please`);
      const [name, ...params] = marker.split(';').map((part) => part.trim());
      if (name !== 'primary' && name !== 'disposable') throw new RelayRefusal(403, `the relay has no credential named ${JSON.stringify(name?.slice(0, 40))}`);
      const token = tokens[name];
      if (!token) throw new RelayRefusal(403, `the relay has no ${name} credential in this run`);
      const scheme = params.find((p) => p.startsWith('scheme='))?.slice('scheme='.length) ?? target.authScheme;
      if (!httpToken.test(scheme)) throw new RelayRefusal(403, 'the credential scheme is not an HTTP auth scheme');
      credential = name;
      headers.authorization = authorizationValue(scheme, token);
    }
    // An encoded separator or control character (`%2F`, `%00`: the generated phase's hostile ids) stays encoded on the wire,
    // but a target may decode it into a path: only in a safe method, and never with the primary credential. So is a
    // trailing slash, which a target may route elsewhere.
    if (encodedSpecials && (!['GET', 'HEAD'].includes(method) || credential === 'primary')) {
      throw new RelayRefusal(
        403,
        `the relay refused the path ${JSON.stringify((req.url ?? '').slice(0, 200))}: a dot segment, an encoded separator or a control character (sent only in GET or HEAD, never with the primary credential)`,
      );
    }
    if (method === 'DELETE') {
      if (target.readOnly || !target.allowDelete) throw new RelayRefusal(403, 'the relay sends no DELETE in this run (read-only, or API_ALLOW_DELETE is off)');
      // DELETE /{customer_id} is the only DELETE there is; compared case-insensitively, in case the target is.
      if (segments.length !== 1 || query) throw new RelayRefusal(403, 'the relay sends DELETE only as DELETE /{customer_id}, with no query');
      if (protectedIds.has(segments[0]!.trim().toLowerCase()))
        throw new RelayRefusal(403, 'the relay never sends DELETE to API_CUSTOMER_ID or API_OTHER_CUSTOMER_ID');
      // The one DELETE the primary credential may carry: to exactly the disposable customer, which a correct API refuses
      // (another tenant's customer) and a broken one can only lose the disposable customer to.
      if (credential === 'primary' && (!target.deleteCustomerId || segments[0] !== target.deleteCustomerId)) {
        throw new RelayRefusal(
          403,
          'the relay sends DELETE with the primary credential only to the disposable customer (API_DELETE_CUSTOMER_ID): the cross-tenant refusal check',
        );
      }
    }
    if (stateChangingMethods.has(method)) {
      if (target.readOnly) throw new RelayRefusal(403, `the relay sends no ${method} in a read-only run`);
      if (credential === 'primary')
        throw new RelayRefusal(403, `the relay never sends ${method} with the primary credential: only the disposable credential or none`);
      if (protectedIds.has((segments[0] ?? '').trim().toLowerCase()))
        throw new RelayRefusal(403, `the relay never sends ${method} to API_CUSTOMER_ID or API_OTHER_CUSTOMER_ID`);
    }
    const body = await readCapped(req, limit, 'request');
    if (body.length > 0) throw new RelayRefusal(403, 'the relay sends no request body: the specs never need one');

    const controller = new AbortController();
    inFlight.add(controller);
    // The spec gave up (timeout, worker gone): stop talking to the target too. Only while the exchange is in flight.
    res.on('close', () => {
      if (inFlight.has(controller)) controller.abort();
    });
    traffic.requests += 1;
    traffic.byMethod[method] = (traffic.byMethod[method] ?? 0) + 1;
    let answer: UpstreamAnswer;
    try {
      answer = await exchange(client, agent, url, method, headers, body, limit, timeoutMs, controller.signal);
    } finally {
      inFlight.delete(controller);
    }
    const decoded = await decode(answer.body, answer.headers['content-encoding'], limit);
    const clean = redactBytes(decoded, secrets);
    const responseHeaders = scrubHeaders(answer.headers, secrets);
    responseHeaders['content-length'] = clean.length;
    const statusText = printable(redactText(answer.statusMessage, secrets));
    if (answer.status < 200 || answer.status > 999) throw new RelayRefusal(502, `the target answered the impossible status ${answer.status}`);
    if (stillHolds(secrets, [statusText, ...headerTexts(responseHeaders), clean.toString('latin1')])) {
      throw new RelayRefusal(502, 'the target echoed the token in a form the relay could not scrub, so its answer was dropped');
    }
    res.writeHead(answer.status, statusText || undefined, responseHeaders);
    res.end(clean);
  };

  const server = http.createServer((req, res) => {
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    const fail = (error: unknown): void => {
      try {
        const status = error instanceof RelayRefusal ? error.status : 502;
        const message = printable(redactText(error instanceof Error ? error.message : String(error), secrets)).slice(0, 1000);
        if (res.headersSent) return void res.destroy();
        req.resume();
        res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', [relayErrorHeader]: 'true', connection: 'close' });
        res.end(message.startsWith('the relay') || message.startsWith('the target') ? message : `the relay failed: ${message}`);
      } catch {
        res.destroy();
      }
    };
    try {
      handle(req, res).catch(fail);
    } catch (error) {
      fail(error);
    }
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  ownHost = `127.0.0.1:${port}`;
  // Compiled while Playwright starts its workers (~1 s), not in global setup's path nor the first answer's (a first answer
  // sooner than this compiles them itself).
  setTimeout(() => prepareRedaction(secrets), 150).unref();
  return {
    url: `http://${ownHost}/`,
    sent: () => ({ requests: traffic.requests, byMethod: { ...traffic.byMethod } }),
    stop: async () => {
      for (const controller of inFlight) controller.abort();
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface UpstreamAnswer {
  status: number;
  statusMessage: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One request to the target, never followed, bounded in size and time; rejects (never throws) on any failure. */
function exchange(
  client: typeof http | typeof https,
  agent: http.Agent,
  url: URL,
  method: string,
  headers: http.OutgoingHttpHeaders,
  body: Buffer,
  limit: number,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<UpstreamAnswer> {
  return new Promise<UpstreamAnswer>((resolve, reject) => {
    let settled = false;
    let request: http.ClientRequest | undefined;
    const settle = (error: Error | undefined, answer?: UpstreamAnswer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) {
        request?.destroy();
        reject(error);
      } else if (answer) {
        resolve(answer);
      }
    };
    const timer = setTimeout(() => settle(new RelayRefusal(502, `the target gave no complete answer within ${timeoutMs / 1000} s`)), timeoutMs);
    try {
      request = client.request(url, { method, headers, agent, signal }, (answer) => {
        const declared = Number(answer.headers['content-length']);
        if (Number.isFinite(declared) && declared > limit) return settle(tooLarge(limit, 'declared by Content-Length'));
        const parts: Buffer[] = [];
        let size = 0;
        answer.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > limit) return settle(tooLarge(limit, 'as sent'));
          parts.push(chunk);
        });
        answer.on('error', (error) => settle(new RelayRefusal(502, `the target's answer broke off: ${error.message}`)));
        answer.on('close', () => {
          if (!answer.complete) settle(new RelayRefusal(502, "the target's answer broke off before its end"));
        });
        answer.on('end', () =>
          settle(undefined, { status: answer.statusCode ?? 0, statusMessage: answer.statusMessage ?? '', headers: answer.headers, body: Buffer.concat(parts) }),
        );
      });
      request.on('error', (error) => settle(new RelayRefusal(502, `cannot reach the target: ${error.message}`)));
      request.end(body);
    } catch (error) {
      settle(new RelayRefusal(502, `cannot send to the target: ${error instanceof Error ? error.message : String(error)}`));
    }
  });
}

/** Inflates a body the target compressed although asked for identity, never past the cap. */
async function decode(body: Buffer, contentEncoding: string | undefined, limit: number): Promise<Buffer> {
  const codings = (contentEncoding ?? '')
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c && c !== 'identity');
  if (codings.length > 2)
    throw new RelayRefusal(
      502,
      `the target's body is encoded ${codings.length} times over (${codings.join(', ').slice(0, 100)}): the relay inflates at most two`,
    );
  let out = body;
  for (const coding of codings.reverse()) {
    const options = { maxOutputLength: limit };
    try {
      if (coding === 'gzip' || coding === 'x-gzip') out = await inflate((cb) => zlib.gunzip(out, options, cb));
      else if (coding === 'br') out = await inflate((cb) => zlib.brotliDecompress(out, options, cb));
      else if (coding === 'deflate') {
        const input = out;
        out = await inflate((cb) => zlib.inflate(input, options, cb)).catch((error: unknown) => {
          if (isTooLarge(error)) throw error;
          return inflate((cb) => zlib.inflateRaw(input, options, cb));
        });
      } else
        throw new RelayRefusal(502, `the target's body has Content-Encoding ${JSON.stringify(coding.slice(0, 40))}, which the relay cannot inflate to scrub`);
    } catch (error) {
      if (error instanceof RelayRefusal) throw error;
      if (isTooLarge(error)) throw tooLarge(limit, `once inflated (${coding})`);
      throw new RelayRefusal(502, `the target's ${coding} body does not inflate: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return out;
}

function inflate(run: (callback: (error: Error | null, result: Buffer) => void) => void): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => run((error, result) => (error ? reject(error) : resolve(result))));
}

function isTooLarge(error: unknown): boolean {
  return error instanceof RangeError && (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
}

function tooLarge(limit: number, how: string): RelayRefusal {
  return new RelayRefusal(
    502,
    `the target's body exceeded the relay's cap of ${formatBytes(limit)} (CONTRACT_BODY_LIMIT_BYTES) ${how}: the answer was dropped`,
  );
}

function formatBytes(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`;
}

/** A spec's request body, capped like an answer (the specs send none). */
async function readCapped(req: http.IncomingMessage, limit: number, what: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) throw new RelayRefusal(413, `the ${what} body exceeded the relay's cap of ${formatBytes(limit)}`);
    parts.push(buffer);
  }
  return Buffer.concat(parts);
}

/** The target's headers minus hop-by-hop ones, with every secret redacted from every value (arrays included); a header that no longer validates is dropped. */
function scrubHeaders(headers: http.IncomingHttpHeaders, secrets: ReadonlyArray<Secret | undefined>): http.OutgoingHttpHeaders {
  const lowered = secrets.map((s) => s?.reveal().toLowerCase());
  const out: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || droppedResponseHeaders.has(name)) continue;
    // Node lower-cases names, so a token in a name is compared lower-cased; such a header is dropped, not renamed.
    if (redactText(name, lowered) !== name || !httpToken.test(name)) continue;
    const clean = Array.isArray(value) ? value.map((v) => redactText(v, secrets)) : redactText(value, secrets);
    try {
      for (const item of Array.isArray(clean) ? clean : [clean]) http.validateHeaderValue(name, item);
      out[name] = clean;
    } catch {
      // An invalid value (the target sent bytes Node would refuse to write) is dropped rather than crash the answer.
    }
  }
  return out;
}

function headerTexts(headers: http.OutgoingHttpHeaders): string[] {
  return Object.entries(headers).flatMap(([name, value]) => [name, ...(Array.isArray(value) ? value : [String(value)])]);
}

/** Whether any text still holds a secret verbatim: a last check that nothing the redaction missed goes back. */
function stillHolds(secrets: ReadonlyArray<Secret | undefined>, texts: string[]): boolean {
  return secrets.some((secret) => {
    const value = secret?.reveal();
    return !!value && value.length >= 4 && texts.some((text) => text.includes(value));
  });
}

/** Printable ASCII only: a status text or message that can't break a header line. */
function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '');
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function digest(value: string): Buffer {
  return crypto.createHash('sha256').update(value).digest();
}
