// The relay's policy as one pure function: what a request may be, given the run's target. Every URL, method, credential
// and customer rule is here, and nothing else is: no socket, no token, no clock. `decide` is tested as a table
// (tests/relay-policy.test.ts: method × credential × id → decision).
//
// The rules, whatever the target or another local process does:
// - Only this run's workers: the request carries the run's key (`x-contract-relay-key`) and the relay's own Host (a page
//   that rebinds its DNS name to 127.0.0.1 still sends its own Host).
// - Only its target: the upstream URL is the configured origin + base path + the request's path, segment by segment, kept
//   encoded; dot segments, `//`, absolute URLs, backslashes, fragments and characters outside a path are refused.
// - GET, HEAD and OPTIONS (safe methods, RFC 9110 §9.2.1) with any credential, to any id. An encoded separator or control
//   character (`%2F`, `%00`) or a trailing slash only in GET or HEAD, never with the primary credential.
// - Every other method (DELETE, PUT, POST, PATCH) never to a protected customer (API_CUSTOMER_ID, API_OTHER_CUSTOMER_ID)
//   nor to any alias of one (`isCustomerIdAlias`: percent-encoded, fullwidth, other case, trailing dots, `;v=1`, `.json`,
//   `~`), in any segment, and never in a read-only run.
// - DELETE only as DELETE /{customer_id} with no query, only with API_ALLOW_DELETE, and with the primary credential only
//   to exactly the disposable customer's id (the cross-tenant refusal check: if the API wrongly obeys, only the disposable
//   customer is lost). PUT, POST and PATCH (the generated phase's method checks) never with the primary credential.
// - Only the headers a spec needs go on (accept, accept-language, authorization, content-type, prefer, user-agent).
import crypto from 'node:crypto';
import { isCustomerIdAlias, type TargetConfig } from '../config/target';
import { RelayRefusal } from './errors';
import { credentialHeader, parseCredentialHeader, relayKeyHeader, type CredentialName, type CredentialRequest } from './protocol';

/** A request as the relay received it. */
export interface RelayRequest {
  method: string;
  /** The request-target as received, e.g. `/cust_1/usage?x=1`. */
  url: string;
  /** Its headers, names lower-cased (as Node gives them). */
  headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** What the policy knows of the target: where it is, which ids and switches, which credentials exist; never a token. */
export interface PolicyTarget {
  baseUrl: string;
  customerId: string;
  otherCustomerId: string | undefined;
  deleteCustomerId: string | undefined;
  readOnly: boolean;
  allowDelete: boolean;
  authScheme: string;
  credentials: Readonly<Record<CredentialName, boolean>>;
}

/** Who may use the relay: requests to its own Host carrying the run's key. */
export interface RelayAccess {
  ownHost: string;
  key: string;
}

/** Send it: this method to this URL, with these headers, and this credential's token added (or none). */
export interface Forward {
  kind: 'forward';
  method: string;
  url: URL;
  headers: Record<string, string | string[]>;
  credential: CredentialRequest | undefined;
}

/** Refuse it: nothing goes upstream. */
export interface Refusal {
  kind: 'refusal';
  status: 403;
  reason: string;
}

export type Decision = Forward | Refusal;

/** The methods the relay sends at all: GET and DELETE (the operations), HEAD and OPTIONS (safe), PUT, POST and PATCH (bodiless method checks). */
export const relayedMethods: ReadonlySet<string> = new Set(['GET', 'DELETE', 'HEAD', 'OPTIONS', 'PUT', 'POST', 'PATCH']);
/** Methods that cannot change state (RFC 9110 §9.2.1): any credential, any id. */
const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Whether a method cannot change the target's state (any case). */
export function isSafeMethod(method: string): boolean {
  return safeMethods.has(method.toUpperCase());
}
/** Request headers a spec may pass on to the target; everything else (cookies, hop-by-hop, the relay's own) stays here. */
const forwardedRequestHeaders = new Set(['accept', 'accept-language', 'authorization', 'content-type', 'prefer', 'user-agent']);
const httpToken = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
/** RFC 3986 pchar, pct-encoded triplets checked separately. */
const segmentChars = /^[A-Za-z0-9\-._~!$&'()*+,;=:@%]+$/;
const queryChars = /^[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*$/;
const badPercent = /%(?![0-9A-Fa-f]{2})/;

/** The policy's view of a gate target. */
export function policyTarget(target: TargetConfig): PolicyTarget {
  return {
    baseUrl: target.baseUrl,
    customerId: target.customerId,
    otherCustomerId: target.otherCustomerId,
    deleteCustomerId: target.deleteCustomerId,
    readOnly: target.readOnly,
    allowDelete: target.allowDelete,
    authScheme: target.authScheme,
    credentials: { primary: true, disposable: !!target.deleteToken },
  };
}

/** Forward or refuse, and why. */
export function decide(request: RelayRequest, target: PolicyTarget, access: RelayAccess): Decision {
  try {
    return judge(request, target, access);
  } catch (error) {
    if (error instanceof RelayRefusal) return { kind: 'refusal', status: 403, reason: error.message };
    throw error;
  }
}

function judge(request: RelayRequest, target: PolicyTarget, access: RelayAccess): Forward {
  const refuse = (reason: string): never => {
    throw new RelayRefusal(403, reason);
  };
  if (request.headers.host !== access.ownHost) refuse(`the relay answers only requests to ${access.ownHost}`);
  const key = request.headers[relayKeyHeader];
  if (typeof key !== 'string' || !crypto.timingSafeEqual(digest(key), digest(access.key))) {
    refuse(`the relay answers only this run's workers: the ${relayKeyHeader} header is missing or wrong`);
  }
  const method = request.method;
  if (!relayedMethods.has(method)) refuse(`the relay only sends ${[...relayedMethods].join(', ')}, not ${method.slice(0, 20)}`);
  const { url, segments, rawSegments, query, encodedSpecials } = upstreamUrl(request.url, target.baseUrl);

  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (forwardedRequestHeaders.has(name) && value !== undefined) headers[name] = value;
  }
  headers['accept-encoding'] = 'identity';
  const marker = request.headers[credentialHeader];
  let credential: CredentialRequest | undefined;
  if (marker !== undefined) {
    if (typeof marker !== 'string') refuse(`one ${credentialHeader} header, please`);
    const parsed = parseCredentialHeader(marker as string, target.authScheme);
    if ('problem' in parsed) return refuse(parsed.problem);
    if (!target.credentials[parsed.name]) refuse(`the relay has no ${parsed.name} credential in this run`);
    if (!httpToken.test(parsed.scheme)) refuse('the credential scheme is not an HTTP auth scheme');
    credential = parsed;
    // The relay adds the token for this credential; a spec's own Authorization header is replaced.
    delete headers.authorization;
  }
  const primary = credential?.name === 'primary';
  // An encoded separator or control character (`%2F`, `%00`: the generated phase's hostile ids) stays encoded on the wire,
  // but a target may decode it into a path: only in a safe method, and never with the primary credential. So is a
  // trailing slash, which a target may route elsewhere.
  if (encodedSpecials && (!['GET', 'HEAD'].includes(method) || primary)) {
    refuse(
      `the relay refused the path ${JSON.stringify(request.url.slice(0, 200))}: a dot segment, an encoded separator or a control character (sent only in GET or HEAD, never with the primary credential)`,
    );
  }
  if (!safeMethods.has(method)) {
    if (target.readOnly) refuse(`the relay sends no ${method} in a read-only run`);
    const protectedIds = [target.customerId, target.otherCustomerId].filter((id): id is string => !!id);
    if (rawSegments.some((segment) => protectedIds.some((id) => isCustomerIdAlias(segment, id)))) {
      refuse(`the relay never sends ${method} to API_CUSTOMER_ID or API_OTHER_CUSTOMER_ID, nor to any spelling of them`);
    }
  }
  if (method === 'DELETE') {
    if (!target.allowDelete) refuse('the relay sends no DELETE in this run (read-only, or API_ALLOW_DELETE is off)');
    // DELETE /{customer_id} is the only DELETE there is.
    if (segments.length !== 1 || query) refuse('the relay sends DELETE only as DELETE /{customer_id}, with no query');
    // The one DELETE the primary credential may carry: to exactly the disposable customer, which a correct API refuses
    // (another tenant's customer) and a broken one can only lose the disposable customer to.
    if (primary && (!target.deleteCustomerId || segments[0] !== target.deleteCustomerId)) {
      refuse('the relay sends DELETE with the primary credential only to the disposable customer (API_DELETE_CUSTOMER_ID): the cross-tenant refusal check');
    }
  } else if (!safeMethods.has(method) && primary) {
    refuse(`the relay never sends ${method} with the primary credential: only the disposable credential or none`);
  }
  return { kind: 'forward', method, url, headers, credential };
}

/** The upstream URL for a request-target: only ever the configured origin under the base path; throws a refusal otherwise. */
function upstreamUrl(requestTarget: string, baseUrl: string): { url: URL; segments: string[]; rawSegments: string[]; query: string; encodedSpecials: boolean } {
  const refuse = (why: string): never => {
    throw new RelayRefusal(403, `the relay refused the path ${JSON.stringify(requestTarget.slice(0, 200))}: ${why}; it only ever sends to ${baseUrl}/…`);
  };
  const upstream = new URL(`${baseUrl}/`);
  const origin = upstream.origin;
  const basePath = upstream.pathname.replace(/\/+$/, '');
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
  return { url, segments: segments.map((segment) => safeDecode(segment) ?? segment), rawSegments: segments, query, encodedSpecials };
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
