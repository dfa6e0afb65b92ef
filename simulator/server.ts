// The reference simulator: an in-memory express implementation of the Customer Management API, with deliberate drift/fault modes.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { isSimulatorMode, simulatorModeSpec, type SimulatorMode } from './modes';
import {
  documentedDeleteMessage,
  fabricatedCustomer,
  seedCustomers,
  usageCounters,
  type CustomerRecord,
  type CustomerRole,
  type SeededCustomer,
  type UsagePeriod,
} from './customers';

/** How to start the simulator. Every field is optional. */
export interface SimulatorOptions {
  /** Port to listen on; default 0 = a free port. */
  port?: number;
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  /** Behaviour mode; default `faithful`. */
  mode?: SimulatorMode;
  /** Delay before every response, in milliseconds; default 0 (or the mode's default). */
  latencyMs?: number;
  /** Fraction (0..1) of requests answering 500, deterministically spread; default 0 (or the mode's default). */
  errorRate?: number;
  /** Customer id → token; seeded ids without one get a random token. */
  tokens?: Partial<Record<string, string>>;
  /** Requests allowed per fixed 60 s window before 429; default unlimited. */
  rateLimitPerMinute?: number;
}

/** A started simulator and its controls. */
export interface RunningSimulator {
  /** e.g. http://127.0.0.1:43121/v2/integrations (no trailing slash). */
  baseUrl: string;
  port: number;
  /** The current mode (the start mode until setMode changes it). */
  readonly mode: SimulatorMode;
  customers: ReadonlyArray<{ id: string; token: string; role: CustomerRole }>;
  setMode(mode: SimulatorMode): void;
  /** Restores deleted customers, and restarts the error-rate sequence and the rate-limit window. */
  reset(): void;
  /** Requests received since start, of any route. */
  requestCount(): number;
  /** Stops listening and closes every connection, keep-alive ones included. */
  stop(): Promise<void>;
}

/** The path every route is mounted under, as on the vendor's host. */
export const simulatorBasePath = '/v2/integrations';

const deleteMessage = documentedDeleteMessage;
const rateLimitWindowMs = 60_000;
const rateLimitedModeRetryAfterSeconds = 30;
const oversizedPaddingBytes = 5 * 1024 * 1024;

/** The simulator's mutable state: mode, customers, counters. One per app. */
export class SimulatorState {
  mode: SimulatorMode;
  readonly customers: ReadonlyArray<SeededCustomer>;
  readonly #options: SimulatorOptions;
  readonly #deleted = new Set<string>();
  readonly #pendingDelays = new Set<NodeJS.Timeout>();
  #requests = 0;
  #errorSequence = 0;
  #rateWindow = { startedAt: 0, count: 0 };

  constructor(options: SimulatorOptions = {}) {
    validateOptions(options);
    this.#options = options;
    this.mode = options.mode ?? 'faithful';
    this.customers = seedCustomers(options.tokens);
  }

  /** Latency for the current mode: the option if given, else the mode's default. */
  latencyMs(): number {
    return this.#options.latencyMs ?? simulatorModeSpec(this.mode).latencyMs ?? 0;
  }

  /** Error rate for the current mode: the option if given, else the mode's default. */
  errorRate(): number {
    return this.#options.errorRate ?? simulatorModeSpec(this.mode).errorRate ?? 0;
  }

  countRequest(): void {
    this.#requests += 1;
  }

  requestCount(): number {
    return this.#requests;
  }

  /** Whether request n of the error-rate sequence fails: floor((n+1)·rate) > floor(n·rate). */
  nextRequestFails(): boolean {
    const rate = this.errorRate();
    const n = this.#errorSequence;
    this.#errorSequence += 1;
    return Math.floor((n + 1) * rate) > Math.floor(n * rate);
  }

  /** Seconds to wait when the fixed-window rate limit is exceeded by this request, else undefined. */
  rateLimitRetryAfter(now: number): number | undefined {
    const limit = this.#options.rateLimitPerMinute;
    if (limit === undefined) return undefined;
    if (now - this.#rateWindow.startedAt >= rateLimitWindowMs) this.#rateWindow = { startedAt: now, count: 0 };
    this.#rateWindow.count += 1;
    if (this.#rateWindow.count <= limit) return undefined;
    return Math.max(1, Math.ceil((this.#rateWindow.startedAt + rateLimitWindowMs - now) / 1000));
  }

  byToken(token: string): SeededCustomer | undefined {
    return this.customers.find((c) => c.token === token);
  }

  /** The customer with this id unless it does not exist or was deleted. */
  existing(id: string): SeededCustomer | undefined {
    return this.#deleted.has(id) ? undefined : this.customers.find((c) => c.id === id);
  }

  delete(id: string): void {
    this.#deleted.add(id);
  }

  reset(): void {
    this.#deleted.clear();
    this.#errorSequence = 0;
    this.#rateWindow = { startedAt: 0, count: 0 };
  }

  /** Waits `ms`; the wait is abandoned (never resolves) when the simulator stops. */
  delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pendingDelays.delete(timer);
        resolve();
      }, ms);
      this.#pendingDelays.add(timer);
    });
  }

  cancelDelays(): void {
    for (const timer of this.#pendingDelays) clearTimeout(timer);
    this.#pendingDelays.clear();
  }
}

function validateOptions(options: SimulatorOptions): void {
  if (options.mode !== undefined && !isSimulatorMode(options.mode)) {
    throw new Error(`unknown simulator mode ${JSON.stringify(options.mode)}`);
  }
  if (options.latencyMs !== undefined && !(Number.isFinite(options.latencyMs) && options.latencyMs >= 0)) {
    throw new Error(`latencyMs must be a non-negative number of milliseconds, not ${options.latencyMs}`);
  }
  if (options.errorRate !== undefined && !(options.errorRate >= 0 && options.errorRate <= 1)) {
    throw new Error(`errorRate must be between 0 and 1, not ${options.errorRate}`);
  }
  if (options.rateLimitPerMinute !== undefined && !(Number.isInteger(options.rateLimitPerMinute) && options.rateLimitPerMinute > 0)) {
    throw new Error(`rateLimitPerMinute must be a positive integer, not ${options.rateLimitPerMinute}`);
  }
}

/**
 * Builds the simulator's express app. Pass a SimulatorState to keep control of mode and data
 * (startSimulator does), or options to get a fresh state.
 */
export function createSimulatorApp(options: SimulatorOptions | SimulatorState = {}): express.Express {
  const state = options instanceof SimulatorState ? options : new SimulatorState(options);
  const app = express();
  app.disable('x-powered-by');
  // Conditional GETs would answer 304 without a body, which no operation documents.
  app.disable('etag');

  app.use(async (_req: Request, res: Response, next: NextFunction) => {
    state.countRequest();
    const latency = state.latencyMs();
    if (latency > 0) await state.delay(latency);
    if (state.mode === 'rate-limited') {
      res.set('Retry-After', String(rateLimitedModeRetryAfterSeconds));
      sendError(res, state, 429, 'Rate limit exceeded');
      return;
    }
    const retryAfter = state.rateLimitRetryAfter(Date.now());
    if (retryAfter !== undefined) {
      res.set('Retry-After', String(retryAfter));
      sendError(res, state, 429, 'Rate limit exceeded');
      return;
    }
    if (state.nextRequestFails()) {
      sendError(res, state, 500, 'Internal server error');
      return;
    }
    next();
  });

  const routes = express.Router();
  routes.get('/:customer_id', (req, res) => {
    const customer = authorisedCustomer(req, res, state);
    if (!customer) return;
    sendSuccess(res, state, { success: true, data: shapeCustomer(state.mode, customer) });
  });
  routes.delete('/:customer_id', (req, res) => {
    const customer = authorisedCustomer(req, res, state);
    if (!customer) return;
    if (state.mode !== 'delete-noop') state.delete(customer.customer_id);
    sendSuccess(res, state, { success: true, message: deleteMessage });
  });
  routes.get('/:customer_id/usage', (req, res) => {
    const customer = authorisedCustomer(req, res, state);
    if (!customer) return;
    const period = state.mode === 'usage-period-ignored' ? defaultPeriod(new Date()) : requestedPeriod(req, res, state);
    if (!period) return;
    sendSuccess(res, state, {
      success: true,
      data: shapeUsage(state.mode, customer.customer_id, period, usageCounters(customer, period)),
    });
  });
  app.use(simulatorBasePath, routes);

  app.use((req: Request, res: Response) => {
    sendError(res, state, 404, `No route for ${req.method} ${req.path}`);
  });
  // The one error handler: a bug answers 500 JSON and never leaks a stack to the client.
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    process.stderr.write(`simulator: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`);
    if (res.headersSent) {
      res.end();
      return;
    }
    sendError(res, state, 500, 'Internal server error');
  });
  return app;
}

/**
 * Applies the auth rules (401, then Prefer: code=500, then 404) and returns the customer the request may act on,
 * or undefined after answering the error.
 */
function authorisedCustomer(req: Request, res: Response, state: SimulatorState): CustomerRecord | undefined {
  const param = req.params.customer_id;
  const id = typeof param === 'string' ? param : '';
  let caller: SeededCustomer | undefined;
  if (state.mode !== 'auth-ignored') {
    const credential = bearerToken(req.get('authorization'));
    if (!credential.ok) {
      sendError(res, state, 401, credential.reason);
      return undefined;
    }
    if (state.mode !== 'any-token') {
      caller = state.byToken(credential.token);
      if (!caller) {
        sendError(res, state, 401, 'Invalid or expired token');
        return undefined;
      }
    }
  }
  if (prefersCode500(req.get('prefer'))) {
    sendError(res, state, 500, 'Internal server error');
    return undefined;
  }
  const target = state.existing(id);
  if (!target) {
    if (state.mode === 'unknown-customer-200') return fabricatedCustomer(id);
    if (state.mode === 'unknown-customer-500') sendError(res, state, 500, 'Internal server error');
    else sendError(res, state, 404, 'Customer not found');
    return undefined;
  }
  // A token authorises only its own customer; another tenant's id answers like an unknown one.
  if (caller && caller.id !== target.id && state.mode !== 'cross-tenant') {
    sendError(res, state, 404, 'Customer not found');
    return undefined;
  }
  return target.record;
}

type BearerCredential = { ok: true; token: string } | { ok: false; reason: string };

function bearerToken(header: string | undefined): BearerCredential {
  if (header === undefined || header.trim() === '') {
    return { ok: false, reason: 'Missing Authorization header: send Authorization: Bearer <customer_token>' };
  }
  const match = /^(\S+)\s+(\S+)$/.exec(header.trim());
  if (!match || match[1]?.toLowerCase() !== 'bearer' || match[2] === undefined) {
    return { ok: false, reason: 'Authorization must use the Bearer scheme: Authorization: Bearer <customer_token>' };
  }
  return { ok: true, token: match[2] };
}

/** Whether a Prefer header asks for the documented 500, as Stoplight Prism reads `Prefer: code=500`. */
function prefersCode500(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(/[,;]/).some((preference) => /^\s*code\s*=\s*"?500"?\s*$/i.test(preference));
}

/** The usage period the query asks for, or undefined after answering 400. */
function requestedPeriod(req: Request, res: Response, state: SimulatorState): UsagePeriod | undefined {
  const fallback = defaultPeriod(new Date());
  const start = dateParameter(req.query.start_date, 'start_date', 'start');
  const end = dateParameter(req.query.end_date, 'end_date', 'end');
  for (const parsed of [start, end]) {
    if (parsed.kind === 'invalid') {
      sendError(res, state, 400, parsed.message);
      return undefined;
    }
  }
  const period = {
    start: start.kind === 'given' ? start.iso : fallback.start,
    end: end.kind === 'given' ? end.iso : fallback.end,
  };
  if (Date.parse(period.start) > Date.parse(period.end)) {
    const endName = end.kind === 'given' ? 'end_date' : 'the default end_date (today)';
    sendError(res, state, 400, `start_date (${period.start}) must not be after ${endName} (${period.end})`);
    return undefined;
  }
  return period;
}

/** The default usage period: the first day of the current UTC month to the end of today (UTC). */
function defaultPeriod(now: Date): UsagePeriod {
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth();
  return {
    start: new Date(Date.UTC(year, month, 1)).toISOString(),
    end: new Date(Date.UTC(year, month, now.getUTCDate(), 23, 59, 59)).toISOString(),
  };
}

type DateParameter = { kind: 'absent' } | { kind: 'given'; iso: string } | { kind: 'invalid'; message: string };

const dateOnlyPattern = /^(\d{4})-(\d{2})-(\d{2})$/;
const dateTimePattern = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;

/** Reads an ISO 8601 date or RFC 3339 date-time; a date-only start means 00:00:00.000Z, a date-only end 23:59:59.000Z. */
function dateParameter(raw: unknown, name: string, bound: 'start' | 'end'): DateParameter {
  if (raw === undefined) return { kind: 'absent' };
  if (typeof raw !== 'string') return { kind: 'invalid', message: `${name} must be given once, as a single ISO 8601 date or date-time` };
  const invalid: DateParameter = {
    kind: 'invalid',
    message: `${name} must be an ISO 8601 date (YYYY-MM-DD) or RFC 3339 date-time, not ${JSON.stringify(raw.slice(0, 40))}`,
  };
  const dateOnly = dateOnlyPattern.exec(raw);
  if (dateOnly) {
    if (!isCalendarDate(dateOnly[1], dateOnly[2], dateOnly[3])) return invalid;
    return { kind: 'given', iso: `${raw}T${bound === 'start' ? '00:00:00' : '23:59:59'}.000Z` };
  }
  const dateTime = dateTimePattern.exec(raw);
  if (!dateTime) return invalid;
  const [, year, month, day, hour, minute, second, , offsetHour, offsetMinute] = dateTime;
  const inRange = (value: string | undefined, max: number): boolean => value === undefined || Number(value) <= max;
  if (
    !isCalendarDate(year, month, day) ||
    !inRange(hour, 23) ||
    !inRange(minute, 59) ||
    !inRange(second, 59) ||
    !inRange(offsetHour, 23) ||
    !inRange(offsetMinute, 59)
  ) {
    return invalid;
  }
  const instant = Date.parse(raw.toUpperCase());
  if (Number.isNaN(instant)) return invalid;
  const iso = new Date(instant).toISOString();
  // An offset can push year 0000 or 9999 out of the four-digit range, which is no longer RFC 3339.
  if (!/^\d{4}-/.test(iso)) return invalid;
  return { kind: 'given', iso };
}

function isCalendarDate(year: string | undefined, month: string | undefined, day: string | undefined): boolean {
  const y = Number(year);
  const m = Number(month);
  const d = Number(day);
  if (m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const daysInMonth = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1] ?? 0;
  return d <= daysInMonth;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** getCustomer's `data`, with the current mode's deviation applied. */
function shapeCustomer(mode: SimulatorMode, record: CustomerRecord): { [key: string]: Json } {
  const data: { [key: string]: Json } = { ...record, plan: { ...record.plan } };
  switch (mode) {
    case 'renamed-field':
      return renameKey(data, 'apps_count', 'app_count');
    case 'retyped-field':
      return { ...data, users_count: String(record.users_count) };
    case 'missing-required-field': {
      const { account_sid: _dropped, ...rest } = data;
      return rest;
    }
    case 'non-iso-date':
      return { ...data, created_at: nonIsoDate(record.created_at), updated_at: nonIsoDate(record.updated_at) };
    case 'undocumented-field':
      return { ...data, region: 'mum1' };
    default:
      return data;
  }
}

/** getCustomerUsage's `data`, with the current mode's deviation applied. */
function shapeUsage(
  mode: SimulatorMode,
  customerId: string,
  period: UsagePeriod,
  counters: ReturnType<typeof usageCounters>,
): { [key: string]: Json } {
  const usage: { [key: string]: Json } = { ...counters };
  const data = (periodJson: { [key: string]: Json }, usageJson: { [key: string]: Json }) => ({
    customer_id: customerId,
    period: periodJson,
    usage: usageJson,
  });
  switch (mode) {
    case 'renamed-field':
      return data({ ...period }, renameKey(usage, 'total_calls', 'total_call'));
    case 'retyped-field':
      return data({ ...period }, { ...usage, total_minutes: String(counters.total_minutes) });
    case 'missing-required-field': {
      const { sip_calls: _dropped, ...rest } = usage;
      return data({ ...period }, rest);
    }
    case 'non-iso-date':
      return data({ start: nonIsoDate(period.start), end: nonIsoDate(period.end) }, usage);
    case 'undocumented-field':
      return data({ ...period }, { ...usage, recording_minutes: Math.floor(counters.total_minutes / 10) });
    default:
      return data({ ...period }, usage);
  }
}

/** Renames a key in place of order, so the renamed field sits where the original did. */
function renameKey(object: { [key: string]: Json }, from: string, to: string): { [key: string]: Json } {
  return Object.fromEntries(Object.entries(object).map(([key, value]) => [key === from ? to : key, value]));
}

/** "2024-01-15T09:00:00.000Z" → "15/01/2024 09:00:00" (UTC). */
function nonIsoDate(iso: string): string {
  const date = new Date(iso);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return (
    `${pad(date.getUTCDate())}/${pad(date.getUTCMonth() + 1)}/${date.getUTCFullYear()} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`
  );
}

/** Answers a 200 with the current mode's envelope, serialisation and content type. */
function sendSuccess(res: Response, state: SimulatorState, body: { [key: string]: Json }): void {
  switch (state.mode) {
    case 'changed-envelope': {
      const { success: _success, ...rest } = body;
      const data = 'data' in rest ? rest.data ?? null : rest;
      res.status(200).json({ RequestId: crypto.randomUUID(), Status: 200, Code: 200, Data: data });
      return;
    }
    case 'text-plain':
      res.status(200).type('text/plain').send(JSON.stringify(body));
      return;
    case 'malformed-json': {
      const text = JSON.stringify(body);
      res.status(200).type('application/json').send(text.slice(0, Math.floor(text.length / 2)));
      return;
    }
    case 'oversized-body':
      res.status(200).json({ ...body, padding: 'x'.repeat(oversizedPaddingBytes) });
      return;
    default:
      res.status(200).json(body);
  }
}

/** Answers an error as `{success:false, message}`, with the current mode's status, serialisation and content type. */
function sendError(res: Response, state: SimulatorState, status: number, message: string): void {
  const finalStatus = status === 401 && state.mode === 'auth-403' ? 403 : status;
  const body = { success: false, message };
  switch (state.mode) {
    case 'html-errors': {
      const title = `${finalStatus} ${http.STATUS_CODES[finalStatus] ?? 'Error'}`;
      res
        .status(finalStatus)
        .type('text/html')
        .send(`<!DOCTYPE html>\n<html><head><title>${title}</title></head><body><h1>${title}</h1><p>${escapeHtml(message)}</p></body></html>\n`);
      return;
    }
    case 'text-plain':
      res.status(finalStatus).type('text/plain').send(JSON.stringify(body));
      return;
    default:
      res.status(finalStatus).json(body);
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Starts the simulator on `host:port` (default 127.0.0.1, a free port) and resolves once it listens.
 * Rejects with the listen error (e.g. EADDRINUSE) when it cannot.
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const state = new SimulatorState(options);
  const app = createSimulatorApp(state);
  const host = options.host ?? '127.0.0.1';
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let stopping: Promise<void> | undefined;
  return {
    baseUrl: `http://${urlHost}:${port}${simulatorBasePath}`,
    port,
    get mode(): SimulatorMode {
      return state.mode;
    },
    customers: state.customers.map(({ id, token, role }) => ({ id, token, role })),
    setMode(mode: SimulatorMode): void {
      if (!isSimulatorMode(mode)) throw new Error(`unknown simulator mode ${JSON.stringify(mode)}`);
      state.mode = mode;
    },
    reset: () => state.reset(),
    requestCount: () => state.requestCount(),
    stop(): Promise<void> {
      stopping ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        state.cancelDelays();
        server.closeAllConnections();
      });
      return stopping;
    },
  };
}
