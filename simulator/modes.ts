// The simulator's behaviour modes, one entry each: what it does, what the contract gate must say about it, and the hooks the server calls.
import crypto from 'node:crypto';
import http from 'node:http';
import type { Response } from 'express';
import { UserError } from '../config/errors';
import type { CustomerRecord, SeededCustomer, UsageCounters, UsagePeriod } from './customers';
import { defaultPeriod, nonIsoDate, readPeriod, requestedPeriod, type DateReading, type PeriodOrProblem } from './dates';
import { bearerToken } from './headers';

export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

/** Who a request comes from, as a mode sees it. */
export type Caller =
  /** A seeded customer's token. */
  | { kind: 'customer'; id: string }
  /** The mode does not tell callers apart: any customer may be acted on. */
  | { kind: 'anyone' }
  /** Answered 401 with this message. */
  | { kind: 'refused'; message: string };

/** What a request for an id that does not exist (or was deleted) gets: an error, or a customer to act on anyway. */
export type UnknownCustomerAnswer = { kind: 'error'; status: number; message: string } | { kind: 'customer'; record: CustomerRecord };

/** getCustomerUsage's `data` before a mode shapes it. */
export interface UsageReport {
  customer_id: string;
  period: UsagePeriod;
  usage: UsageCounters;
}

/** An error answered to a request before any route sees it, with its headers (e.g. Retry-After). */
export interface Preemption {
  status: number;
  message: string;
  headers: Readonly<Record<string, string>>;
}

/** What a method the path does not document (PUT, POST, PATCH, …) gets: an error with its headers, or a success body. */
export type UndocumentedMethodAnswer =
  { kind: 'error'; status: number; message: string; headers: Readonly<Record<string, string>> } | { kind: 'success'; body: JsonObject };

/** An error answer: status and message. */
export interface ErrorAnswer {
  status: number;
  message: string;
}

/** Every behaviour a mode can change. The server calls these and nothing else decides how a mode behaves. */
export interface SimulatorModeHooks {
  /** Answers a request before routing (after latency); undefined lets it through. */
  preempt(): Preemption | undefined;
  /** Answers a request for a customer id before its credential is checked (a 414, a malformed id, an unknown one); undefined goes on. */
  beforeAuth(customerId: string, exists: boolean): ErrorAnswer | undefined;
  /** Whether a deleted customer's token still authenticates (it then reaches the deleted-customer answer). */
  tokenSurvivesDelete(): boolean;
  /** What an authenticated caller gets for another tenant's existing customer. */
  tenantRefusal(): ErrorAnswer;
  /** What a request for a deleted customer gets (default: as an unknown id). */
  deletedCustomer(customerId: string): UnknownCustomerAnswer;
  /** Who the Authorization header says is calling. */
  authenticate(authorization: string | undefined, customerByToken: (token: string) => SeededCustomer | undefined): Caller;
  /** Whether an authenticated caller may act (with this HTTP method) on this existing customer; a refusal answers like an unknown id (404). */
  authorise(caller: Exclude<Caller, { kind: 'refused' }>, customerId: string, method: string): boolean;
  /** The challenge sent with every 401 (WWW-Authenticate), or undefined to send none. */
  challenge(): string | undefined;
  /** What an authenticated request with a method the path does not document gets; `allow` lists the path's methods. */
  undocumentedMethod(method: string, allow: readonly string[]): UndocumentedMethodAnswer;
  /** What a request for an unknown or deleted id gets. */
  unknownCustomer(customerId: string): UnknownCustomerAnswer;
  /** The usage period `start_date` and `end_date` ask for, or the 400's message; `query` is the whole query. */
  usagePeriod(startDate: unknown, endDate: unknown, now: Date, query?: Readonly<Record<string, unknown>>): PeriodOrProblem;
  /** Carries out a DELETE of an existing customer; `remove` takes it out of the store. */
  deleteCustomer(remove: () => void): void;
  /** getCustomer's `data`. */
  shapeCustomer(record: Readonly<CustomerRecord>): JsonObject;
  /** getCustomerUsage's `data`. */
  shapeUsage(report: UsageReport): JsonObject;
  /** Sends a 200 with this body. */
  sendSuccess(res: Response, body: JsonObject): void;
  /** Sends an error with this status and message. */
  sendError(res: Response, status: number, message: string): void;
}

/** What the contract gate must do against a mode (tests/contract-gate.test.ts runs it against each). */
export type GateExpectation =
  /** The gate must fail, and its failure output must match `evidence`: proof that it names what drifted. */
  | { readonly verdict: 'fails'; readonly evidence: RegExp }
  /** The gate must pass; `warning`, when given, must be among its annotations (non-breaking drift is reported). */
  | { readonly verdict: 'passes'; readonly warning?: RegExp }
  /** The mutation table does not run the gate against this mode, for this reason. */
  | { readonly verdict: 'not-run'; readonly because: string };

/** One mode: what it is for, what the gate must say, and how it deviates from the faithful hooks. */
export interface SimulatorModeSpec {
  /** One sentence: how this mode deviates from the documented API. */
  readonly description: string;
  readonly gate: GateExpectation;
  /** Latency applied to every response when the simulator was started without `latencyMs`. */
  readonly latencyMs?: number;
  /** Fraction of requests answering 500 when the simulator was started without `errorRate`. */
  readonly errorRate?: number;
  /** The behaviours this mode changes; the rest are the faithful ones. */
  readonly hooks?: Partial<SimulatorModeHooks>;
}

/** The documented behaviour: every mode starts from these. */
const faithful: SimulatorModeHooks = {
  preempt: () => undefined,
  beforeAuth: () => undefined,
  tokenSurvivesDelete: () => true,
  tenantRefusal: () => ({ status: 404, message: 'Customer not found' }),
  deletedCustomer: (customerId) => faithful.unknownCustomer(customerId),
  authenticate(authorization, customerByToken) {
    const credential = bearerToken(authorization);
    if (!credential.ok) return { kind: 'refused', message: credential.reason };
    const caller = customerByToken(credential.token);
    return caller ? { kind: 'customer', id: caller.id } : { kind: 'refused', message: 'Invalid or expired token' };
  },
  // A token authorises only its own customer; another tenant's id answers like an unknown one.
  authorise: (caller, customerId) => caller.kind === 'anyone' || caller.id === customerId,
  // Inferred: RFC 9110 §15.5.2 (a 401 carries a challenge) and RFC 6750 §3 (the Bearer scheme's); the page shows neither.
  challenge: () => 'Bearer realm="customer-management"',
  // Inferred: RFC 9110 §15.5.6 (405 names the allowed methods in Allow); the page documents no 405.
  undocumentedMethod: (method, allow) => ({
    kind: 'error',
    status: 405,
    message: `${method} is not allowed here: use ${allow.join(', ')}`,
    headers: { Allow: allow.join(', ') },
  }),
  unknownCustomer: () => ({ kind: 'error', status: 404, message: 'Customer not found' }),
  usagePeriod: requestedPeriod,
  deleteCustomer: (remove) => remove(),
  shapeCustomer: (record) => ({ ...record, plan: { ...record.plan } }),
  shapeUsage: (report) => usageData(report),
  sendSuccess: (res, body) => void res.status(200).json(body),
  sendError: (res, status, message) => void res.status(status).json({ success: false, message }),
};

/** getCustomerUsage's `data` with the given usage and period (default: the report's own). */
function usageData(report: UsageReport, usage: JsonObject = { ...report.usage }, period: JsonObject = { ...report.period }): JsonObject {
  return { customer_id: report.customer_id, period, usage };
}

/** Renames a key in place, so the renamed field sits where the original did. */
function renameKey(object: JsonObject, from: string, to: string): JsonObject {
  return Object.fromEntries(Object.entries(object).map(([key, value]) => [key === from ? to : key, value]));
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const internalError = { kind: 'error', status: 500, message: 'Internal server error' } as const;

/** A faithful variant that differs only in how it reads start_date and end_date. */
function faithfulReading(description: string, reading: DateReading): SimulatorModeSpec {
  return { description, gate: { verdict: 'passes' }, hooks: { usagePeriod: readPeriod(reading) } };
}

export const simulatorModes = {
  faithful: {
    description: 'Implements the documented API exactly.',
    gate: { verdict: 'passes' },
  },
  'renamed-field': {
    description: 'Renames data.apps_count to app_count (getCustomer) and usage.total_calls to total_call (getCustomerUsage).',
    gate: { verdict: 'fails', evidence: /\/data\/apps_count: missing required property/ },
    hooks: {
      shapeCustomer: (record) => renameKey(faithful.shapeCustomer(record), 'apps_count', 'app_count'),
      shapeUsage: (report) => usageData(report, renameKey({ ...report.usage }, 'total_calls', 'total_call')),
    },
  },
  'retyped-field': {
    description: 'Serves data.users_count (getCustomer) and usage.total_minutes (getCustomerUsage) as strings.',
    gate: { verdict: 'fails', evidence: /\/data\/users_count: type mismatch: expected "?\w+"?, observed "25"/ },
    hooks: {
      shapeCustomer: (record) => ({ ...faithful.shapeCustomer(record), users_count: String(record.users_count) }),
      shapeUsage: (report) => usageData(report, { ...report.usage, total_minutes: String(report.usage.total_minutes) }),
    },
  },
  'missing-required-field': {
    description: 'Drops data.account_sid (getCustomer) and usage.sip_calls (getCustomerUsage).',
    gate: { verdict: 'fails', evidence: /\/data\/account_sid: missing required property/ },
    hooks: {
      shapeCustomer: (record) => {
        const { account_sid: _dropped, ...rest } = faithful.shapeCustomer(record);
        return rest;
      },
      shapeUsage: (report) => {
        const { sip_calls: _dropped, ...rest } = report.usage;
        return usageData(report, rest);
      },
    },
  },
  'null-field': {
    description: 'Serves data.account_sid (getCustomer) as null, as a database NULL leaking through would; the page shows a string.',
    gate: { verdict: 'fails', evidence: /\/data\/account_sid: type mismatch: expected "?string"?, observed null/ },
    hooks: { shapeCustomer: (record) => ({ ...faithful.shapeCustomer(record), account_sid: null }) },
  },
  'non-iso-date': {
    description: 'Serves created_at, updated_at and period start/end as "DD/MM/YYYY HH:mm:ss" instead of ISO 8601.',
    gate: { verdict: 'fails', evidence: /\/data\/created_at: format mismatch/ },
    hooks: {
      shapeCustomer: (record) => ({ ...faithful.shapeCustomer(record), created_at: nonIsoDate(record.created_at), updated_at: nonIsoDate(record.updated_at) }),
      shapeUsage: (report) => usageData(report, undefined, { start: nonIsoDate(report.period.start), end: nonIsoDate(report.period.end) }),
    },
  },
  'changed-envelope': {
    description: "Wraps 200 bodies in the vendor token endpoint's envelope {RequestId, Status, Code, Data}.",
    gate: { verdict: 'fails', evidence: /\/success: missing required property/ },
    hooks: {
      sendSuccess: (res, body) => {
        const { success: _success, ...rest } = body;
        const data = 'data' in rest ? (rest.data ?? null) : rest;
        res.status(200).json({ RequestId: crypto.randomUUID(), Status: 200, Code: 200, Data: data });
      },
    },
  },
  'auth-ignored': {
    description: 'Ignores the Authorization header: any request, even without one, acts as the customer in the path.',
    gate: { verdict: 'fails', evidence: /answered 200, expected 401/ },
    hooks: { authenticate: () => ({ kind: 'anyone' }) },
  },
  'any-token': {
    description: 'Requires a Bearer Authorization header but accepts any token value.',
    gate: { verdict: 'fails', evidence: /answered 200, expected 401/ },
    hooks: {
      authenticate: (authorization) => {
        const credential = bearerToken(authorization);
        return credential.ok ? { kind: 'anyone' } : { kind: 'refused', message: credential.reason };
      },
    },
  },
  'unknown-customer-200': {
    description: 'Answers 200 with a fabricated customer (customer_id = the requested id) for unknown ids.',
    gate: { verdict: 'fails', evidence: /answered 200, expected 404/ },
    hooks: {
      unknownCustomer: (customerId) => ({
        kind: 'customer',
        record: {
          customer_id: customerId,
          name: 'Fabricated Customer',
          account_sid: 'fabricated_account_sid',
          status: 'active',
          apps_count: 1,
          users_count: 1,
          plan: { type: 'standard', max_apps: 1, max_users_per_app: 1 },
          created_at: '2024-01-01T00:00:00.000Z',
          updated_at: '2024-01-01T00:00:00.000Z',
        },
      }),
    },
  },
  'unknown-customer-500': {
    description: 'Answers 500 instead of 404 for unknown ids.',
    gate: { verdict: 'fails', evidence: /answered 500, expected 404/ },
    hooks: { unknownCustomer: () => internalError },
  },
  'auth-403': {
    description: 'Answers 403 instead of 401, with the same body.',
    gate: { verdict: 'fails', evidence: /answered 403, expected 401 \(.*\); 403 is not a documented status/ },
    hooks: { sendError: (res, status, message) => faithful.sendError(res, status === 401 ? 403 : status, message) },
  },
  'text-plain': {
    description: 'Serves every JSON body with Content-Type text/plain.',
    gate: { verdict: 'fails', evidence: /content type mismatch: expected \["application\/json"\], observed "text\/plain/ },
    hooks: {
      sendSuccess: (res, body) => void res.status(200).type('text/plain').send(JSON.stringify(body)),
      sendError: (res, status, message) =>
        void res
          .status(status)
          .type('text/plain')
          .send(JSON.stringify({ success: false, message })),
    },
  },
  'html-errors': {
    description: 'Serves every error response as an HTML page (text/html).',
    gate: { verdict: 'fails', evidence: /body is not JSON/ },
    hooks: {
      sendError: (res, status, message) => {
        const title = `${status} ${http.STATUS_CODES[status] ?? 'Error'}`;
        res
          .status(status)
          .type('text/html')
          .send(`<!DOCTYPE html>\n<html><head><title>${title}</title></head><body><h1>${title}</h1><p>${escapeHtml(message)}</p></body></html>\n`);
      },
    },
  },
  'usage-period-ignored': {
    description: 'Always reports the default usage period, whatever start_date/end_date say, and never rejects them.',
    gate: { verdict: 'fails', evidence: /a date-only start_date begins at T00:00:00.000Z/ },
    hooks: { usagePeriod: (_startDate, _endDate, now) => ({ ok: true, period: defaultPeriod(now) }) },
  },
  'delete-noop': {
    description: 'DELETE answers the documented 200 but deletes nothing.',
    gate: { verdict: 'fails', evidence: /answered 200, expected 404/ },
    hooks: { deleteCustomer: () => undefined },
  },
  'cross-tenant': {
    description: 'Lets any valid customer token read and delete any other customer.',
    gate: { verdict: 'fails', evidence: /must not succeed/ },
    hooks: { authorise: () => true },
  },
  'undocumented-field': {
    description: 'Adds data.region (getCustomer) and data.usage.recording_minutes (getCustomerUsage); additive, so not breaking.',
    gate: { verdict: 'passes', warning: /non-breaking drift in getCustomer 200: \/data\/region: undocumented property/ },
    hooks: {
      shapeCustomer: (record) => ({ ...faithful.shapeCustomer(record), region: 'mum1' }),
      shapeUsage: (report) => usageData(report, { ...report.usage, recording_minutes: Math.floor(report.usage.total_minutes / 10) }),
    },
  },
  latency: {
    description: 'Faithful, with 250 ms latency on every response unless latencyMs is given.',
    gate: { verdict: 'passes' },
    latencyMs: 250,
  },
  'error-rate': {
    description: 'Answers 500 to a deterministic half of the requests (every second one) unless errorRate is given.',
    gate: { verdict: 'fails', evidence: /answered 500, expected 200/ },
    errorRate: 0.5,
  },
  'rate-limited': {
    description: 'Answers every request with 429 and Retry-After: 30.',
    gate: { verdict: 'fails', evidence: /answered 429/ },
    hooks: { preempt: () => ({ status: 429, message: 'Rate limit exceeded', headers: { 'Retry-After': '30' } }) },
  },
  'malformed-json': {
    description: 'Answers 200s with truncated JSON text labelled application/json.',
    gate: { verdict: 'fails', evidence: /body is not JSON/ },
    hooks: {
      sendSuccess: (res, body) => {
        const text = JSON.stringify(body);
        res
          .status(200)
          .type('application/json')
          .send(text.slice(0, Math.floor(text.length / 2)));
      },
    },
  },
  'oversized-body': {
    description: 'Pads 200 bodies with an undocumented 5 MiB "padding" string property; additive, so not breaking.',
    gate: { verdict: 'passes' },
    hooks: { sendSuccess: (res, body) => void res.status(200).json({ ...body, padding: 'x'.repeat(5 * 1024 * 1024) }) },
  },
  'fractional-minutes': {
    description: 'Serves usage.total_minutes (getCustomerUsage) as a non-integer, e.g. 18350.5 instead of 18350.',
    gate: { verdict: 'fails', evidence: /\/data\/usage\/total_minutes: type mismatch: expected "?integer"?, observed \d+\.5\b/ },
    hooks: { shapeUsage: (report) => usageData(report, { ...report.usage, total_minutes: report.usage.total_minutes + 0.5 }) },
  },
  'error-key': {
    description: 'Serves error bodies as {"error": "<message>"} instead of the documented {"success": false, "message": "<message>"}.',
    gate: {
      verdict: 'fails',
      evidence: /answered 40[014] as expected \([^)]*\), but the response breaks the contract:[^\n]*\n\s*✗ \/(success|message): missing required property/,
    },
    hooks: { sendError: (res, status, message) => void res.status(status).json({ error: message }) },
  },
  'impossible-date-500': {
    description:
      'Answers 500 to a well-formed date whose day does not exist in its month (2024-02-30), as a naive date constructor would; only generated input finds it.',
    gate: {
      verdict: 'fails',
      evidence:
        /input: GET \/[^\s]+\/usage\?(start|end)_date=\d{4}-\d{2}-(29|30|31) [^\n]*impossible date[\s\S]*answered 500, expected no 5xx (\(.*?\) )?\[not_a_server_error\]/,
    },
    hooks: {
      usagePeriod: (startDate, endDate, now) => {
        for (const value of [startDate, endDate]) {
          const day = typeof value === 'string' ? /^(\d{4})-(\d{2})-(\d{2})/.exec(value) : null;
          const [year, month, date] = (day ?? []).slice(1).map(Number);
          if (
            year !== undefined &&
            month !== undefined &&
            date !== undefined &&
            month >= 1 &&
            month <= 12 &&
            date > new Date(Date.UTC(year, month, 0)).getUTCDate() &&
            date <= 31
          ) {
            throw new Error(`Invalid time value: ${String(value)}`);
          }
        }
        return requestedPeriod(startDate, endDate, now);
      },
    },
  },
  'put-accepted': {
    description: 'Answers PUT, POST and PATCH with 200 and a success body (any id, after authentication) instead of 405.',
    gate: { verdict: 'fails', evidence: /\[undocumented_method\]: PUT is not a documented method of this path, yet the API served it/ },
    hooks: { undocumentedMethod: () => ({ kind: 'success', body: { success: true, message: 'Customer updated' } }) },
  },
  'encoded-slash-500': {
    description: 'Answers 500 when the customer id holds an encoded slash (%2F), as a router that decodes before matching might.',
    gate: {
      verdict: 'fails',
      evidence: /input: GET \/[^\s]*%2F[^\n]*encoded separator[\s\S]*answered 500, expected no 5xx (\(.*?\) )?\[not_a_server_error\]/i,
    },
    hooks: { unknownCustomer: (customerId) => (customerId.includes('/') ? internalError : faithful.unknownCustomer(customerId)) },
  },
  'cross-tenant-delete': {
    description: 'Lets any valid customer token DELETE any other customer (reads stay isolated).',
    gate: { verdict: 'fails', evidence: /SECURITY: the primary token must not succeed in deleting another tenant's customer/ },
    hooks: { authorise: (caller, customerId, method) => method === 'DELETE' || faithful.authorise(caller, customerId, method) },
  },
  'no-www-authenticate': {
    description: 'Faithful, but its 401s carry no WWW-Authenticate challenge (as many real APIs): an advisory, not a break.',
    gate: { verdict: 'passes', warning: /WWW-Authenticate: advisory: missing on 401/ },
    hooks: { challenge: () => undefined },
  },
  // Faithful variants: each a different, faithful reading of something the page leaves open (docs/gate-rules.md). The gate
  // must pass on every one, on every seed (tests/contract-gate.test.ts; `npm run sweep` for 20 seeds each).
  'repeated-parameter-last-wins': faithfulReading('Takes the last value of a repeated start_date or end_date (as many frameworks do).', { repeats: 'last' }),
  'repeated-parameter-first-wins': faithfulReading('Takes the first value of a repeated start_date or end_date (as many frameworks do).', { repeats: 'first' }),
  'fraction-digits-3': faithfulReading('Refuses (400) date-times with more than 3 fractional digits: millisecond precision, as its own timestamps.', {
    maxFractionDigits: 3,
  }),
  'utc-only': faithfulReading('Refuses (400) date-times with an offset other than Z: UTC only, as its own timestamps.', { utcOnly: true }),
  'hour-24': faithfulReading('Accepts T24:00:00 as the end of a day (ISO 8601 allows it).', { hour24: true }),
  'date-only': faithfulReading('A date-only API: date-times answer 400, as the page shows only dates.', { dateOnly: true }),
  'empty-date-absent': faithfulReading('Treats an empty start_date= or end_date= as the parameter left out.', { emptyIsAbsent: true }),
  'whitespace-trimmed': faithfulReading('Trims whitespace around start_date and end_date.', { trim: true }),
  'local-time-utc': faithfulReading('Reads a date-time without a time zone as UTC (ISO 8601 allows local times).', { localAsUtc: true }),
  'max-range-92-days': faithfulReading('Refuses (400) a date range longer than 92 days.', { maxRangeDays: 92 }),
  'future-refused': faithfulReading('Refuses (400) a date after today: there is no usage yet.', { future: 'refuse' }),
  'future-clamped': faithfulReading('Clamps a range that reaches past today to end today.', { future: 'clamp' }),
  'whole-days': faithfulReading('Widens a date-time range to whole UTC days (usage is counted per day).', { wholeDays: true }),
  'unknown-parameter-400': {
    description: 'Refuses (400) any query parameter of the usage operation other than start_date and end_date.',
    gate: { verdict: 'passes' },
    hooks: {
      usagePeriod: (startDate, endDate, now, query) => {
        const unknown = Object.keys(query ?? {}).filter((name) => name !== 'start_date' && name !== 'end_date');
        return unknown.length > 0 ? { ok: false, message: `unknown parameter ${unknown[0]?.slice(0, 40) ?? ''}` } : requestedPeriod(startDate, endDate, now);
      },
    },
  },
  'token-revoked-after-delete': {
    description: "A deleted customer's token dies with it: every later request with it answers 401.",
    gate: { verdict: 'passes' },
    hooks: { tokenSurvivesDelete: () => false },
  },
  'unknown-404-before-auth': {
    description: 'Answers 404 for an unknown (or deleted) id before the credential is checked.',
    gate: { verdict: 'passes' },
    hooks: { beforeAuth: (_id, exists) => (exists ? undefined : { status: 404, message: 'Customer not found' }) },
  },
  'long-id-414': {
    description: 'Answers 414 URI Too Long for a customer id over 1 KB, before the credential is checked.',
    gate: { verdict: 'passes' },
    hooks: { beforeAuth: (id) => (id.length > 1024 ? { status: 414, message: 'URI too long' } : undefined) },
  },
  'malformed-id-400': {
    description: 'Answers 400 for a customer id that is not letters, digits, _ and - (at most 64), before the credential is checked.',
    gate: { verdict: 'passes' },
    hooks: { beforeAuth: (id) => (/^[A-Za-z0-9_-]{1,64}$/.test(id) ? undefined : { status: 400, message: 'Malformed customer id' }) },
  },
  'other-tenant-403': {
    description: "Answers 403 (valid credentials, no access) for another tenant's customer instead of 404.",
    gate: { verdict: 'passes' },
    hooks: { tenantRefusal: () => ({ status: 403, message: 'Access denied' }) },
  },
  'gone-410': {
    description: 'Answers 410 Gone for a deleted customer instead of 404.',
    gate: { verdict: 'passes' },
    hooks: { deletedCustomer: () => ({ kind: 'error', status: 410, message: 'Customer deleted' }) },
  },
  slow: {
    description: "Faithful, with 15 s latency unless latencyMs is given; for the monitor's timeout tests, not the gate.",
    gate: { verdict: 'not-run', because: 'every answer takes 15 s: the monitor times out on it, the gate would only wait' },
    latencyMs: 15_000,
  },
} as const satisfies Record<string, SimulatorModeSpec>;

export type SimulatorMode = keyof typeof simulatorModes;

/** Every mode name, in table order. */
export const simulatorModeNames = Object.keys(simulatorModes) as SimulatorMode[];

/** Whether a string names a simulator mode. */
export function isSimulatorMode(s: string): s is SimulatorMode {
  return Object.prototype.hasOwnProperty.call(simulatorModes, s);
}

/**
 * The one reading of SIMULATOR_MODE (the simulator CLI's and the gate's embedded simulator's): blank or unset is
 * `faithful`; anything else must name a mode.
 * @throws UserError naming the value and listing the modes.
 */
export function parseSimulatorMode(raw: string | undefined): SimulatorMode {
  const name = raw?.trim() || 'faithful';
  if (isSimulatorMode(name)) return name;
  throw new UserError(
    `SIMULATOR_MODE "${name}" is not a simulator mode: use one of ${simulatorModeNames.join(', ')} (\`npm run simulator -- --help\` describes each)`,
  );
}

/** The mode's table entry, typed as the common spec so its optional fields can be read. */
export function simulatorModeSpec(mode: SimulatorMode): SimulatorModeSpec {
  return simulatorModes[mode];
}

/** The hooks the server calls in this mode: the faithful ones, with the mode's own in their place. */
export function simulatorModeHooks(mode: SimulatorMode): SimulatorModeHooks {
  return { ...faithful, ...simulatorModeSpec(mode).hooks };
}
