// The probes as a table (blackbox_exporter's ProbeFn/Probers): one function per operationId, one shared way to judge a response.
import { checkResponse, type Contract } from '../../contract/index';
import { redactText, type Secret } from '../../config/secret';
import { authorizationValue } from '../../config/target';
import type { ProbeTarget } from './config';
import { httpGet, type GetFailure, type GetResult, type PhaseDurations } from './http-get';

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
  /** Seconds the API asked us to wait (Retry-After on a 429). */
  retryAfterSeconds: number | undefined;
  /** One human line for the status page and logs; never contains the token. */
  detail: string;
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
  const response = await httpGet(url, {
    headers: { accept: 'application/json', authorization: authorizationValue(context.target.authScheme, context.token), 'user-agent': 'customer-api-exporter' },
    timeoutMs: context.timeoutMs,
    bodyLimitBytes: context.bodyLimitBytes,
    signal: context.signal,
  });
  const judged = judge(context, operationId, response);
  // The HTTP exchange, which the phases partition; the contract check after it takes microseconds and is not the API's latency.
  const durationSeconds = response.totalSeconds;
  const result: ProbeResult = {
    ...judged,
    statusCode: response.status ?? 0,
    durationSeconds,
    phases: response.phases,
    retryAfterSeconds: judged.reason === 'throttled' ? retryAfterSeconds(response.headers['retry-after']) : undefined,
  };
  context.log(`${result.success ? 'success' : `failure reason=${result.reason}`}: ${result.detail} in ${durationSeconds.toFixed(3)} s`);
  return result;
}

type Judgement = Pick<ProbeResult, 'success' | 'reason' | 'detail' | 'undocumentedProperties'>;

/** probeFailureReason and the contract check: turns a raw GET result into success or one reason. */
function judge(context: ProbeContext, operationId: OperationId, response: GetResult): Judgement {
  const fail = (reason: FailureReason, detail: string): Judgement => ({ success: false, reason, detail, undocumentedProperties: 0 });
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
  );
  const undocumentedProperties = check.findings.filter((f) => f.kind === 'undocumented-property' && f.severity === 'non-breaking').length;
  for (const finding of check.findings) context.log(`contract ${finding.severity}: ${finding.message}`);
  if (check.breaking.length > 0) {
    const first = check.breaking[0]!;
    const more = check.breaking.length > 1 ? ` (+${check.breaking.length - 1} more)` : '';
    return { success: false, reason: 'contract', detail: clip(redactText(`HTTP ${status} breaks the contract: ${first.kind} at ${first.path || '(body)'}${more}`, [context.token])), undocumentedProperties };
  }
  const drift = undocumentedProperties > 0 ? ` (${undocumentedProperties} undocumented ${undocumentedProperties === 1 ? 'property' : 'properties'})` : '';
  return { success: true, reason: undefined, detail: `HTTP ${status} matches the contract${drift}`, undocumentedProperties };
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

/** Retry-After as seconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterSeconds(header: string | string[] | undefined): number | undefined {
  const value = headerValue(header)?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

function headerValue(header: string | string[] | undefined): string | undefined {
  return Array.isArray(header) ? header[0] : header;
}

function clip(text: string): string {
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}
