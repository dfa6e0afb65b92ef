// The reference simulator: an in-memory express implementation of the Customer Management API; its routes and state (modes.ts says how each mode behaves).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type express from 'express';
import type { NextFunction, Request, Response } from 'express';
import {
  customerWithRole,
  documentedDeleteMessage,
  seedCustomers,
  usageCounters,
  type CustomerRecord,
  type CustomerRole,
  type SeededCustomer,
} from './customers';
import { prefersCode500 } from './headers';
import { isSimulatorMode, simulatorModeHooks, simulatorModeNames, simulatorModeSpec, type SimulatorMode, type SimulatorModeHooks } from './modes';

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
  /** Serve POST /admin/mode (mode=NAME), which switches the mode at run time, to loopback callers; default false. */
  admin?: boolean;
}

/** A started simulator and its controls. */
export interface RunningSimulator {
  /** e.g. http://127.0.0.1:43121/v2/integrations (no trailing slash). */
  baseUrl: string;
  port: number;
  /** The current mode (the start mode until setMode changes it). */
  readonly mode: SimulatorMode;
  customers: ReadonlyArray<{ id: string; token: string; role: CustomerRole }>;
  /** The seeded customer with this role (and its token for this run). */
  customer(role: CustomerRole): { id: string; token: string; role: CustomerRole };
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

const rateLimitWindowMs = 60_000;

/** The simulator's mutable state: mode, customers, counters. One per app. */
export class SimulatorState {
  readonly customers: ReadonlyArray<SeededCustomer>;
  readonly #options: SimulatorOptions;
  readonly #deleted = new Set<string>();
  readonly #pendingDelays = new Set<NodeJS.Timeout>();
  #mode: SimulatorMode = 'faithful';
  #hooks: SimulatorModeHooks = simulatorModeHooks('faithful');
  #requests = 0;
  #errorSequence = 0;
  #rateWindow = { startedAt: 0, count: 0 };

  constructor(options: SimulatorOptions = {}) {
    validateOptions(options);
    this.#options = options;
    this.mode = options.mode ?? 'faithful';
    this.customers = seedCustomers(options.tokens);
  }

  get mode(): SimulatorMode {
    return this.#mode;
  }

  set mode(mode: SimulatorMode) {
    if (!isSimulatorMode(mode)) throw new Error(`unknown simulator mode ${JSON.stringify(mode)}`);
    this.#mode = mode;
    this.#hooks = simulatorModeHooks(mode);
  }

  /** Whether POST /admin/mode is served. */
  get admin(): boolean {
    return this.#options.admin ?? false;
  }

  /** How the current mode behaves. */
  get hooks(): SimulatorModeHooks {
    return this.#hooks;
  }

  /** The seeded customer with this role. */
  customer(role: CustomerRole): SeededCustomer {
    return customerWithRole(this.customers, role);
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

  /** Whether this id was a customer and was deleted. */
  isDeleted(id: string): boolean {
    return this.#deleted.has(id);
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

/** express, loaded when the first app is built (~60–100 ms): startSimulator listens first and builds the app after. */
function expressModule(): typeof express {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- deliberately lazy; import() is not usable under Playwright's loader
  return require('express') as typeof express;
}

/**
 * Builds the simulator's express app. Pass a SimulatorState to keep control of mode and data
 * (startSimulator does), or options to get a fresh state.
 */
export function createSimulatorApp(options: SimulatorOptions | SimulatorState = {}): express.Express {
  const state = options instanceof SimulatorState ? options : new SimulatorState(options);
  const express = expressModule();
  const app = express();
  app.disable('x-powered-by');
  // Conditional GETs would answer 304 without a body, which no operation documents.
  app.disable('etag');

  // Before latency, faults and rate limits, and not counted as a request: it controls the simulator, it is not the API.
  if (state.admin) {
    app.post(
      '/admin/mode',
      express.urlencoded({ extended: false, limit: '1kb' }),
      express.json({ limit: '1kb' }),
      (req: Request, res: Response) => setModeByAdmin(req, res, state),
      adminBodyError,
    );
  }

  app.use(async (_req: Request, res: Response, next: NextFunction) => {
    state.countRequest();
    const latency = state.latencyMs();
    if (latency > 0) await state.delay(latency);
    const preemption = state.hooks.preempt();
    if (preemption) {
      res.set(preemption.headers);
      state.hooks.sendError(res, preemption.status, preemption.message);
      return;
    }
    const retryAfter = state.rateLimitRetryAfter(Date.now());
    if (retryAfter !== undefined) {
      res.set('Retry-After', String(retryAfter));
      state.hooks.sendError(res, 429, 'Rate limit exceeded');
      return;
    }
    if (state.nextRequestFails()) {
      state.hooks.sendError(res, 500, 'Internal server error');
      return;
    }
    next();
  });

  const routes = express.Router();
  routes.get('/:customer_id', (req, res) => {
    const customer = authorisedCustomer(req, res, state);
    if (!customer) return;
    state.hooks.sendSuccess(res, { success: true, data: state.hooks.shapeCustomer(customer) });
  });
  routes.delete('/:customer_id', (req, res) => {
    const customer = authorisedCustomer(req, res, state);
    if (!customer) return;
    state.hooks.deleteCustomer(() => state.delete(customer.customer_id));
    state.hooks.sendSuccess(res, { success: true, message: documentedDeleteMessage() });
  });
  routes.get('/:customer_id/usage', (req, res) => {
    const customer = authorisedCustomer(req, res, state);
    if (!customer) return;
    const asked = state.hooks.usagePeriod(req.query.start_date, req.query.end_date, new Date(), req.query);
    if (!asked.ok) {
      state.hooks.sendError(res, 400, asked.message);
      return;
    }
    const { period } = asked;
    const data = state.hooks.shapeUsage({ customer_id: customer.customer_id, period, usage: usageCounters(customer, period) });
    state.hooks.sendSuccess(res, { success: true, data });
  });
  // Methods a path does not document: authenticated first (401 as for any request), then as the mode decides (405 + Allow).
  // HEAD is answered by the GET routes (express); OPTIONS answers a preflight-style 204 with Allow.
  const otherMethods = (allow: readonly string[]) => (req: Request, res: Response) => {
    if (req.method === 'OPTIONS') {
      res.set('Allow', allow.join(', ')).status(204).end();
      return;
    }
    const caller = state.hooks.authenticate(req.get('authorization'), (token) => tokenOwner(state, token));
    if (caller.kind === 'refused') {
      sendUnauthorized(res, state, caller.message);
      return;
    }
    const answer = state.hooks.undocumentedMethod(req.method, allow);
    if (answer.kind === 'success') {
      state.hooks.sendSuccess(res, answer.body);
      return;
    }
    res.set(answer.headers);
    state.hooks.sendError(res, answer.status, answer.message);
  };
  routes.all('/:customer_id', otherMethods(['GET', 'HEAD', 'DELETE', 'OPTIONS']));
  routes.all('/:customer_id/usage', otherMethods(['GET', 'HEAD', 'OPTIONS']));
  app.use(simulatorBasePath, routes);

  app.use((req: Request, res: Response) => {
    state.hooks.sendError(res, 404, `No route for ${req.method} ${req.path}`);
  });
  // The one error handler: a bug answers 500 JSON and never leaks a stack to the client.
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    process.stderr.write(`simulator: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`);
    if (res.headersSent) {
      res.end();
      return;
    }
    state.hooks.sendError(res, 500, 'Internal server error');
  });
  return app;
}

/** POST /admin/mode with `mode=NAME` (form or JSON): switches the mode; refused to any caller not on this machine. */
function setModeByAdmin(req: Request, res: Response, state: SimulatorState): void {
  if (!isLoopback(req.socket.remoteAddress)) {
    res.status(403).type('text/plain').send('/admin/mode answers callers on this machine (loopback) only\n');
    return;
  }
  const body: unknown = req.body;
  const requested = typeof body === 'object' && body !== null && 'mode' in body ? body.mode : undefined;
  const name = typeof requested === 'string' ? requested.trim() : '';
  if (!isSimulatorMode(name)) {
    res
      .status(400)
      .type('text/plain')
      .send(`${name ? `"${name.slice(0, 64)}" is not a simulator mode` : 'no mode given'}: send mode=NAME, one of ${simulatorModeNames.join(', ')}\n`);
    return;
  }
  const previous = state.mode;
  state.mode = name;
  res.json({ mode: name, previous });
}

/** A body the parsers refuse (malformed JSON, over 1 KB) is the caller's mistake, not the simulator's. */
function adminBodyError(error: unknown, _req: Request, res: Response, _next: NextFunction): void {
  const status = typeof error === 'object' && error !== null && 'status' in error && typeof error.status === 'number' ? error.status : 400;
  res
    .status(status >= 400 && status < 500 ? status : 400)
    .type('text/plain')
    .send('send mode=NAME as a form or JSON body of at most 1 KB\n');
}

/** Whether a socket's remote address is this machine: 127.0.0.0/8 or ::1, IPv4-mapped forms included. */
function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}

/**
 * Applies the auth rules (401, then Prefer: code=500, then 404) as the mode decides them, and returns the customer the
 * request may act on, or undefined after answering the error.
 */
function authorisedCustomer(req: Request, res: Response, state: SimulatorState): CustomerRecord | undefined {
  const { hooks } = state;
  const param = req.params.customer_id;
  const id = typeof param === 'string' ? param : '';
  const early = hooks.beforeAuth(id, state.existing(id) !== undefined);
  if (early) {
    hooks.sendError(res, early.status, early.message);
    return undefined;
  }
  const caller = hooks.authenticate(req.get('authorization'), (token) => tokenOwner(state, token));
  if (caller.kind === 'refused') {
    sendUnauthorized(res, state, caller.message);
    return undefined;
  }
  if (prefersCode500(req.get('prefer'))) {
    hooks.sendError(res, 500, 'Internal server error');
    return undefined;
  }
  const target = state.existing(id);
  if (!target) {
    const answer = state.isDeleted(id) ? hooks.deletedCustomer(id) : hooks.unknownCustomer(id);
    if (answer.kind === 'customer') return answer.record;
    hooks.sendError(res, answer.status, answer.message);
    return undefined;
  }
  if (!hooks.authorise(caller, target.id, req.method)) {
    const refusal = hooks.tenantRefusal();
    hooks.sendError(res, refusal.status, refusal.message);
    return undefined;
  }
  return target.record;
}

/** The customer a token belongs to, unless the mode revokes a deleted customer's token. */
function tokenOwner(state: SimulatorState, token: string): SeededCustomer | undefined {
  const owner = state.byToken(token);
  return owner && state.isDeleted(owner.id) && !state.hooks.tokenSurvivesDelete() ? undefined : owner;
}

/** A 401 with the mode's WWW-Authenticate challenge (if any). */
function sendUnauthorized(res: Response, state: SimulatorState, message: string): void {
  const challenge = state.hooks.challenge();
  if (challenge !== undefined) res.set('WWW-Authenticate', challenge);
  state.hooks.sendError(res, 401, message);
}

/**
 * Starts the simulator on `host:port` (default 127.0.0.1, a free port) and resolves once it listens.
 * Rejects with the listen error (e.g. EADDRINUSE) when it cannot.
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const state = new SimulatorState(options);
  // The app (and express with it) is built shortly after the port is bound, while the caller gets on with its own start
  // (the gate's global setup returns and Playwright starts its worker), or by the first request if that comes sooner.
  let app: express.Express | undefined;
  const ensureApp = (): express.Express => (app ??= createSimulatorApp(state));
  const host = options.host ?? '127.0.0.1';
  const server = http.createServer((req, res) => {
    ensureApp()(req, res);
  });
  // Idle keep-alive connections stay open for a minute (Node's default is 5 s): on a loaded machine a client reusing one
  // just as the server closed it would get ECONNRESET, a failure of the test setup rather than of the API.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const warmUp = setTimeout(ensureApp, 150);
  warmUp.unref();
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let stopping: Promise<void> | undefined;
  const customers = state.customers.map(({ id, token, role }) => ({ id, token, role }));
  return {
    baseUrl: `http://${urlHost}:${port}${simulatorBasePath}`,
    port,
    get mode(): SimulatorMode {
      return state.mode;
    },
    customers,
    customer: (role) => customerWithRole(customers, role),
    setMode(mode: SimulatorMode): void {
      state.mode = mode;
    },
    reset: () => state.reset(),
    requestCount: () => state.requestCount(),
    stop(): Promise<void> {
      clearTimeout(warmUp);
      stopping ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        state.cancelDelays();
        server.closeAllConnections();
      });
      return stopping;
    },
  };
}
