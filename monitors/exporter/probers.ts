// The probes as a table (blackbox_exporter's ProbeFn/Probers): one function per operationId, one shared way to judge a response.
import { checkResponse, defaultJsonLimits, type Contract, type DriftFinding } from '../../contract/index';
import { redactText, type Secret } from '../../config/secret';
import { authorizationValue } from '../../config/target';
import type { ProbeTarget } from './config';
import { boundedLabel, maxViolationSeries, schemaPointer, type ContractViolation } from './contract-violations';
import { httpGet, type GetFailure, type GetResult, type PhaseDurations, type TlsDetails } from './http-get';

/** Every value of the `reason` label, in a fixed order; the failures counter starts each at 0. */
export const failureReasons = ['timeout', 'connect', 'tls', 'http_5xx', 'auth', 'not_found', 'throttled', 'contract', 'other'] as const;
export type FailureReason = (typeof failureReasons)[number];

/** What one probe needs: the target, its current token, limits, the compiled contract and a log. */
export interface ProbeContext {
  target: ProbeTarget;
  token: Secret;
  timeoutMs: number;
  bodyLimitBytes: number;
  contract: Contract;
  /** Lines for /probe?debug=true; the caller redacts them again before showing them. */
  log: (line: string) => void;
  signal?: AbortSignal;
}

/** The outcome of one probe. A failed probe is data, never an exception. */
export interface ProbeResult {
  success: boolean;
  reason: FailureReason | undefined;
  /** 0 when no response arrived. */
  statusCode: number;
  durationSeconds: number;
  phases: PhaseDurations;
  /** Non-breaking undocumented-property findings in this response. */
  undocumentedProperties: number;
  /** Seconds the API asked us to wait (Retry-After on a 429), at most maxRetryAfterSeconds. */
  retryAfterSeconds: number | undefined;
  /** Whether a request went out; false when the exporter answered for the API (backing off, no token, unsendable). */
  sent: boolean;
  /** One human line for the status page and logs; never contains the token. */
  detail: string;
  /** The first breaking contract finding of a reason="contract" failure, with what was expected and what came. */
  contractBreak: ContractBreak | undefined;
  /** HTTPS: the TLS version and the chain's earliest expiry, whenever the handshake completed. */
  tls: TlsDetails | undefined;
  /** Up to 3 breaking findings as the contract-violation info series' labels (schema pointers only); empty otherwise. */
  violations?: ContractViolation[] | undefined;
  /** A failed probe's request and a redacted, bounded body excerpt; undefined on success or when nothing was sent. */
  evidence?: FailureEvidence | undefined;
}

/** What a failed probe sent and got back, for the status page, /status.json and the failure log; never a header or the token. */
export interface FailureEvidence {
  method: 'GET';
  /** The request's URL path (no query, no credentials). */
  path: string;
  /** The start of the response body, redacted, with control characters escaped, at most maxBodyExcerptLength characters; '' when none came. */
  bodyExcerpt: string;
  /** Whether the body was longer than the excerpt. */
  bodyTruncated: boolean;
}

/** The longest body excerpt kept per failed probe. */
export const maxBodyExcerptLength = 256;

/** Where a body broke the contract and how: read from the contract check's finding, shortened, never with the token. */
export interface ContractBreak {
  /** JSON pointer into the body (`/data/users_count`); empty for the whole response. */
  pointer: string;
  /** The finding's kind, e.g. type-mismatch, missing-required-property, unparsable-body. */
  kind: string;
  /** What the contract wants, e.g. `integer`, `present (required)`, `["active","suspended"]`. */
  expected: string;
  /** What came, with its JSON type, e.g. `"25" (string)`, `absent`. */
  observed: string;
}

/** One probe of one operation. */
export type ProbeFn = (context: ProbeContext) => Promise<ProbeResult>;

/** The operations probed: read-only GETs only (DELETE is never probed). */
export const operationIds = ['getCustomer', 'getCustomerUsage'] as const;
export type OperationId = (typeof operationIds)[number];

/** A table of probers keyed by operationId (blackbox_exporter's Probers). */
export type Probers = Readonly<Record<OperationId, ProbeFn>>;

/** The probers; `/probe?operation=` and the scheduler accept exactly these keys. */
export const probers: Probers = {
  getCustomer: (context) => probeOperation(context, 'getCustomer', `/${encodeURIComponent(context.target.customerId)}`),
  // No start_date/end_date: the documented default period (this month) is what a health check needs.
  getCustomerUsage: (context) => probeOperation(context, 'getCustomerUsage', `/${encodeURIComponent(context.target.customerId)}/usage`),
};

/** Whether a string names a probed operation. */
export function isOperationId(value: string): value is OperationId {
  return (operationIds as readonly string[]).includes(value);
}

async function probeOperation(context: ProbeContext, operationId: OperationId, path: string): Promise<ProbeResult> {
  const url = `${context.target.baseUrl}${path}`;
  context.log(`GET ${url} (timeout ${context.timeoutMs} ms, body limit ${context.bodyLimitBytes} bytes)`);
  let response: GetResult;
  try {
    response = await httpGet(url, {
      headers: {
        accept: 'application/json',
        authorization: authorizationValue(context.target.authScheme, context.token),
        'user-agent': 'customer-api-exporter',
      },
      timeoutMs: context.timeoutMs,
      bodyLimitBytes: context.bodyLimitBytes,
      signal: context.signal,
    });
  } catch (error) {
    // httpGet resolves every failure it knows; anything thrown here is unforeseen. The error's message may quote a
    // header value (the token), so only its name and code are kept, and those are redacted too.
    const detail = clip(redactText(`the request could not be sent (${errorLabel(error)})`, [context.token]));
    context.log(`failure reason=other: ${detail}`);
    return unsentFailure('other', detail);
  }
  const classified = classifySafely(context, operationId, response);
  // The HTTP exchange, which the phases partition; the contract check after it takes microseconds and is not the API's latency.
  const durationSeconds = response.totalSeconds;
  const result: ProbeResult = {
    ...classified,
    statusCode: response.status ?? 0,
    durationSeconds,
    phases: response.phases,
    retryAfterSeconds: classified.reason === 'throttled' ? retryAfterSeconds(response.headers['retry-after']) : undefined,
    sent: response.failure?.kind !== 'invalid-request',
    tls: response.tls,
  };
  if (!result.success) result.evidence = failureEvidence(url, response.bodyText, context.token);
  context.log(`${result.success ? 'success' : `failure reason=${result.reason}`}: ${result.detail} in ${durationSeconds.toFixed(3)} s`);
  return result;
}

/** A response classified: success, or the one failure reason with its detail. */
type Classification = Pick<ProbeResult, 'success' | 'reason' | 'detail' | 'undocumentedProperties' | 'contractBreak' | 'violations'>;

/**
 * classifyResponse, made total: a fault while classifying a response (a bug, or a body built to break the checker) is the
 * probe failing as reason="contract" — the response could not be shown to keep the contract — never an exception.
 */
function classifySafely(context: ProbeContext, operationId: OperationId, response: GetResult): Classification {
  try {
    return classifyResponse(context, operationId, response);
  } catch (error) {
    // The message of a checker fault says what broke ("Maximum call stack size exceeded"); redacted, it cannot carry the token.
    const message = error instanceof Error ? `: ${error.message.split('\n')[0]!.slice(0, 80)}` : '';
    const detail = clip(
      redactText(`HTTP ${response.status ?? 0}: the response could not be checked against the contract (${errorLabel(error)}${message})`, [context.token]),
    );
    context.log(`contract check fault: ${detail}`);
    return { success: false, reason: 'contract', detail, undocumentedProperties: 0, contractBreak: undefined };
  }
}

/** Turns a raw GET result into success or one failure reason: the transport failure, then the status, then the contract check. */
function classifyResponse(context: ProbeContext, operationId: OperationId, response: GetResult): Classification {
  const fail = (reason: FailureReason, detail: string): Classification => ({
    success: false,
    reason,
    detail,
    undocumentedProperties: 0,
    contractBreak: undefined,
  });
  if (response.failure) return fail(...describeFailure(response.failure, context.timeoutMs));
  const status = response.status ?? 0;
  if (status === 429) return fail('throttled', 'HTTP 429: the API is rate-limiting the probes');
  if (status === 401 || status === 403) return fail('auth', `HTTP ${status}: the token was rejected`);
  if (status === 404) return fail('not_found', 'HTTP 404: the customer or route was not found');
  if (status >= 500) return fail('http_5xx', `HTTP ${status}`);
  if (status < 200 || status >= 300) return fail('other', `HTTP ${status} is not a success`);
  const check = checkResponse(
    context.contract,
    operationId,
    { status, contentType: headerValue(response.headers['content-type']), bodyText: response.bodyText },
    [context.token],
    // The exporter never reads more than bodyLimitBytes; the contract's own size bound must not be the tighter one.
    { maxLength: Math.max(defaultJsonLimits.maxLength, context.bodyLimitBytes) },
  );
  const undocumentedProperties = check.findings.filter((f) => f.kind === 'undocumented-property' && f.severity === 'non-breaking').length;
  for (const finding of check.findings) context.log(`contract ${finding.severity}: ${finding.message}`);
  if (check.breaking.length > 0) {
    const first = check.breaking[0]!;
    const more = check.breaking.length > 1 ? ` (+${check.breaking.length - 1} more)` : '';
    return {
      success: false,
      reason: 'contract',
      detail: clip(redactText(`HTTP ${status} breaks the contract: ${first.kind} at ${first.pointer || '(body)'}${more}`, [context.token])),
      undocumentedProperties,
      contractBreak: contractBreakOf(first, context.token),
      violations: violationsOf(context, operationId, status, check.breaking),
    };
  }
  const drift = undocumentedProperties > 0 ? ` (${undocumentedProperties} undocumented ${undocumentedProperties === 1 ? 'property' : 'properties'})` : '';
  return { success: true, reason: undefined, detail: `HTTP ${status} matches the contract${drift}`, undocumentedProperties, contractBreak: undefined };
}

/** The longest expected or observed text kept for the status page, /status.json and the log. */
const maxShownLength = 120;

/**
 * A breaking finding as pointer, expected and observed text. The finding's values are already redacted and shortened by
 * the contract check; they are redacted and shortened again here, because they end up on a page and in the log.
 */
function contractBreakOf(finding: Pick<DriftFinding, 'pointer' | 'kind' | 'expected' | 'observed'>, token: Secret): ContractBreak {
  // An expectation is mostly a description ("integer", "present (required)"); an allowed value or a list reads as JSON.
  const expected = typeof finding.expected === 'string' && finding.kind !== 'enum-value' ? finding.expected : jsonText(finding.expected);
  let observed: string;
  if (finding.observed === undefined) observed = 'absent';
  else if (finding.observed === null) observed = 'null';
  else if (finding.kind === 'unparsable-body') observed = `${jsonText(finding.observed)} (text)`;
  else observed = `${jsonText(finding.observed)} (${Array.isArray(finding.observed) ? 'array' : typeof finding.observed})`;
  const shown = (text: string): string => {
    const clean = redactText(text, [token]);
    return clean.length > maxShownLength ? `${clean.slice(0, maxShownLength - 1)}…` : clean;
  };
  return { pointer: shown(finding.pointer), kind: finding.kind, expected: shown(expected), observed: shown(observed) };
}

/** The first breaking findings as info-series labels: schema pointers, bounded values, no duplicate label sets. */
function violationsOf(context: ProbeContext, operationId: OperationId, status: number, breaking: ReadonlyArray<DriftFinding>): ContractViolation[] {
  const out: ContractViolation[] = [];
  const seen = new Set<string>();
  for (const finding of breaking) {
    if (out.length >= maxViolationSeries) break;
    const shown = contractBreakOf(finding, context.token);
    const violation = {
      pointer: boundedLabel(schemaPointer(context.contract, operationId, status, finding.pointer)),
      expected: boundedLabel(shown.expected),
      observed: boundedLabel(shown.observed),
    };
    const id = `${violation.pointer}\u0000${violation.expected}\u0000${violation.observed}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(violation);
  }
  return out;
}

function jsonText(value: unknown): string {
  if (value === undefined) return 'nothing';
  try {
    // JSON.stringify answers undefined for these, whatever its declared type says.
    if (typeof value === 'function' || typeof value === 'symbol') return `<${typeof value}>`;
    return JSON.stringify(value);
  } catch {
    return `<${typeof value} that does not serialise>`;
  }
}

/**
 * A failure before a complete response. Refused, reset or closed connections before any response are `connect`
 * (the API could not be reached); a body over the cap is `other`: the exporter chose not to read it, so it cannot
 * say whether the body breaks the contract (the simulator's oversized-body mode is additive, not breaking).
 */
function describeFailure(failure: GetFailure, timeoutMs: number): [FailureReason, string] {
  switch (failure.kind) {
    case 'timeout':
      return ['timeout', `no complete response within ${timeoutMs / 1000} s (stalled at ${failure.stage})`];
    case 'body-too-large':
      return ['other', `response body larger than the ${failure.limitBytes}-byte limit (PROBE_BODY_LIMIT_BYTES): read aborted`];
    case 'invalid-request':
      return ['other', `the request could not be sent (${failure.code}): check the base URL and that the token is one line of printable characters`];
    case 'network': {
      if (failure.stage === 'tls' || /^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|ERR_OSSL)/.test(failure.code)) {
        return ['tls', `TLS handshake failed (${failure.code})`];
      }
      if (failure.stage === 'response-body') return ['other', `connection broke while reading the body (${failure.code})`];
      return ['connect', `${connectMessage(failure.code)} (${failure.code}) before any response`];
    }
  }
}

function connectMessage(code: string): string {
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'connection reset';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host name did not resolve';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    default:
      return 'connection failed';
  }
}

/**
 * The longest back-off a Retry-After can impose: 10 minutes. An API asking for more (or a hostile one sending
 * 99999999) gets probed again after 10 minutes, and answers 429 again if it still means it.
 */
export const maxRetryAfterSeconds = 600;

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const imfFixdate = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const rfc850Date =
  /^(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\d{2})-(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const asctimeDate = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ( \d|\d{2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;

/**
 * Retry-After as whole seconds from `nowMs`, at most maxRetryAfterSeconds: delta-seconds (`120`) or an HTTP-date in
 * any of the three forms RFC 9110 §5.6.7 requires recipients to accept (IMF-fixdate, RFC 850, asctime; all GMT).
 * A date in the past is 0. Undefined when absent or unreadable (then the exporter backs off on its own).
 */
export function retryAfterSeconds(header: string | string[] | undefined, nowMs: number = Date.now()): number | undefined {
  const value = headerValue(header)?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Math.min(maxRetryAfterSeconds, Number(value));
  const at = httpDateMs(value);
  return at === undefined ? undefined : Math.min(maxRetryAfterSeconds, Math.max(0, Math.ceil((at - nowMs) / 1000)));
}

/** An HTTP-date as milliseconds since the epoch, or undefined; no locale or time-zone guessing (Date.parse does both). */
export function httpDateMs(value: string): number | undefined {
  let parts: { year: number; month: string; day: number; hour: number; minute: number; second: number } | undefined;
  let m: RegExpExecArray | null;
  if ((m = imfFixdate.exec(value))) {
    parts = { day: Number(m[2]), month: m[3]!, year: Number(m[4]), hour: Number(m[5]), minute: Number(m[6]), second: Number(m[7]) };
  } else if ((m = rfc850Date.exec(value))) {
    // Two-digit years: RFC 9110 says one more than 50 years in the future is in the past century.
    const yy = Number(m[4]);
    const thisYear = new Date().getUTCFullYear();
    let year = Math.floor(thisYear / 100) * 100 + yy;
    if (year > thisYear + 50) year -= 100;
    parts = { day: Number(m[2]), month: m[3]!, year, hour: Number(m[5]), minute: Number(m[6]), second: Number(m[7]) };
  } else if ((m = asctimeDate.exec(value))) {
    parts = { month: m[2]!, day: Number(m[3]!.trim()), hour: Number(m[4]), minute: Number(m[5]), second: Number(m[6]), year: Number(m[7]) };
  }
  if (!parts) return undefined;
  const month = months.indexOf(parts.month);
  if (parts.day < 1 || parts.day > 31 || parts.hour > 23 || parts.minute > 59 || parts.second > 60) return undefined;
  const ms = Date.UTC(parts.year, month, parts.day, parts.hour, parts.minute, Math.min(parts.second, 59));
  // Date.UTC rolls 31 Feb over into March: refuse dates that do not exist instead.
  return new Date(ms).getUTCDate() === parts.day ? ms : undefined;
}

/** A result for a probe that sent nothing (or whose sending failed unforeseen). */
export function unsentFailure(reason: FailureReason, detail: string): ProbeResult {
  return {
    success: false,
    reason,
    statusCode: 0,
    durationSeconds: 0,
    phases: { resolve: 0, connect: 0, tls: 0, processing: 0, transfer: 0 },
    undocumentedProperties: 0,
    retryAfterSeconds: undefined,
    sent: false,
    detail,
    contractBreak: undefined,
    tls: undefined,
  };
}

/** An error's class name and code, for a detail line: never its message, which may quote a header value. */
export function errorLabel(error: unknown): string {
  if (!(error instanceof Error)) return typeof error;
  const code = 'code' in error && typeof error.code === 'string' && /^[A-Z0-9_]{1,64}$/.test(error.code) ? ` ${error.code}` : '';
  const name = /^[A-Za-z]{1,40}$/.test(error.name) ? error.name : 'Error';
  return `${name}${code}`;
}

function headerValue(header: string | string[] | undefined): string | undefined {
  return Array.isArray(header) ? header[0] : header;
}

function clip(text: string): string {
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

/** A failed probe's evidence: the URL path and the body's first characters, redacted and with every control character escaped. */
function failureEvidence(url: string, bodyText: string, token: Secret): FailureEvidence {
  let requestPath: string;
  try {
    requestPath = new URL(url).pathname;
  } catch {
    requestPath = '';
  }
  // Redact before cutting, so a token straddling the cut is never half kept.
  const head = redactText(bodyText.slice(0, maxBodyExcerptLength * 4), [token]);
  const excerpt = escapeControls(head).slice(0, maxBodyExcerptLength);
  return { method: 'GET', path: escapeControls(requestPath).slice(0, 200), bodyExcerpt: excerpt, bodyTruncated: bodyText.length > excerpt.length };
}

/** C0, DEL and C1 controls (and the line and paragraph separators) as \\uXXXX, so a kept text is one inert line in any output. */
export function escapeControls(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
