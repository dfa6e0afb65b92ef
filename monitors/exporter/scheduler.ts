// Runs the probers on a jittered schedule per target×operation: never two in flight, backing off on 429 for Retry-After.
import { setMaxListeners } from 'node:events';
import type { Contract } from '../../contract/index';
import { redactText, type Secret } from '../../config/secret';
import type { ProbeSettings, ProbeTarget } from './config';
import type { ExporterMetrics } from './metrics';
import { operationIds, probers, type OperationId, type ProbeResult } from './probers';
import { TokenReader } from './token';

/** The last result of one target×operation, for the status page. */
export interface ProbeState {
  target: string;
  operation: OperationId;
  last: (ProbeResult & { finishedAtMs: number }) | undefined;
  probes: number;
  /** Probes that succeeded, of `probes`. */
  successes: number;
  inFlight: boolean;
}

/** Backoff when a 429 has no readable Retry-After: doubling from one interval, capped at 5 minutes. */
const maxThrottleBackoffSeconds = 300;

/** Probes targets on demand and on a schedule, sharing tokens, throttling state and the contract. */
export class ProbeRunner {
  readonly #targets: ReadonlyMap<string, { target: ProbeTarget; tokens: TokenReader; throttledUntilMs: number; throttleStreak: number }>;
  readonly #settings: ProbeSettings;
  readonly #contract: Contract;
  readonly #metrics: ExporterMetrics;
  readonly #log: (line: string) => void;
  readonly #states = new Map<string, ProbeState>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #abort = new AbortController();
  #stopped = false;

  constructor(options: { targets: ReadonlyArray<ProbeTarget>; settings: ProbeSettings; contract: Contract; metrics: ExporterMetrics; log: (line: string) => void }) {
    this.#targets = new Map(options.targets.map((t) => [t.name, { target: t, tokens: new TokenReader(t.tokenSource), throttledUntilMs: 0, throttleStreak: 0 }]));
    this.#settings = options.settings;
    this.#contract = options.contract;
    this.#metrics = options.metrics;
    this.#log = options.log;
    // One abort listener per in-flight probe: many targets legitimately exceed the default warning threshold of 10.
    setMaxListeners(0, this.#abort.signal);
    for (const { target } of this.#targets.values()) {
      for (const operation of operationIds) {
        this.#states.set(key(target.name, operation), { target: target.name, operation, last: undefined, probes: 0, successes: 0, inFlight: false });
        this.#metrics.initialise(target.name, operation);
      }
    }
  }

  get settings(): ProbeSettings {
    return this.#settings;
  }

  hasTarget(name: string): boolean {
    return this.#targets.has(name);
  }

  targets(): ProbeTarget[] {
    return [...this.#targets.values()].map((t) => t.target);
  }

  /** Every target×operation in configuration order, with its last result. */
  states(): ProbeState[] {
    return [...this.#states.values()];
  }

  /** Starts the schedule; the first probe of each target×operation is randomly offset within the jitter. */
  start(): void {
    for (const state of this.#states.values()) this.#schedule(state, Math.random() * this.#settings.jitterSeconds * 1000);
  }

  /** Clears every timer and aborts in-flight probes; nothing runs afterwards. */
  stop(): void {
    this.#stopped = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    this.#abort.abort();
  }

  /**
   * Runs one probe now (the scheduler and /probe both use this). While the API's Retry-After is running the
   * target is not called at all: the result is a throttled failure without a request.
   */
  async probe(targetName: string, operation: OperationId, timeoutMs: number, log: (line: string) => void): Promise<ProbeResult> {
    const entry = this.#targets.get(targetName);
    if (!entry) throw new Error(`no target named ${targetName}`);
    const now = Date.now();
    if (now < entry.throttledUntilMs) {
      const wait = Math.ceil((entry.throttledUntilMs - now) / 1000);
      log(`not calling the API: backing off for ${wait} s more after HTTP 429`);
      return notSent('throttled', `backing off after HTTP 429 (Retry-After): ${wait} s left`);
    }
    let token: Secret;
    try {
      const current = entry.tokens.current();
      token = current.token;
      this.#metrics.tokenExpiry(targetName, current.expiresAt);
    } catch (error) {
      // Our credential is unusable: a credential problem (auth), not the API being down.
      const message = error instanceof Error ? error.message : String(error);
      log(message);
      return notSent('auth', message);
    }
    const redactingLog = (line: string): void => log(redactText(line, [token]));
    const result = await probers[operation]({
      target: entry.target,
      token,
      timeoutMs,
      bodyLimitBytes: this.#settings.bodyLimitBytes,
      contract: this.#contract,
      log: redactingLog,
      signal: this.#abort.signal,
    });
    if (result.reason === 'throttled') {
      entry.throttleStreak += 1;
      const backoff = result.retryAfterSeconds ?? Math.min(maxThrottleBackoffSeconds, this.#settings.intervalSeconds * 2 ** (entry.throttleStreak - 1));
      entry.throttledUntilMs = Date.now() + backoff * 1000;
      redactingLog(`HTTP 429: not calling target ${targetName} for ${backoff} s`);
    } else if (result.statusCode !== 0) {
      entry.throttleStreak = 0;
    }
    return result;
  }

  #schedule(state: ProbeState, delayMs: number): void {
    if (this.#stopped) return;
    const id = key(state.target, state.operation);
    const timer = setTimeout(() => {
      this.#timers.delete(id);
      void this.#runScheduled(state);
    }, Math.max(0, delayMs));
    this.#timers.set(id, timer);
  }

  async #runScheduled(state: ProbeState): Promise<void> {
    if (this.#stopped || state.inFlight) return;
    const entry = this.#targets.get(state.target)!;
    const interval = this.#settings.intervalSeconds * 1000;
    // Throttled: skip this slot without counting a probe, and come back when Retry-After has passed.
    if (Date.now() < entry.throttledUntilMs) {
      this.#schedule(state, Math.max(entry.throttledUntilMs - Date.now(), 0) + this.#jitterMs());
      return;
    }
    const startedAt = performance.now();
    state.inFlight = true;
    let result: ProbeResult | undefined;
    try {
      result = await this.probe(state.target, state.operation, this.#settings.timeoutSeconds * 1000, () => undefined);
    } catch (error) {
      this.#log(`exporter fault probing ${state.target}/${state.operation}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      state.inFlight = false;
    }
    if (this.#stopped) return;
    if (result) this.#record(state, result);
    const elapsed = performance.now() - startedAt;
    this.#schedule(state, interval - elapsed + this.#jitterMs() - (this.#settings.jitterSeconds * 1000) / 2);
  }

  #record(state: ProbeState, result: ProbeResult): void {
    const finishedAtMs = Date.now();
    const previous = state.last;
    state.last = { ...result, finishedAtMs };
    state.probes += 1;
    if (result.success) state.successes += 1;
    this.#metrics.record(state.target, state.operation, result, finishedAtMs);
    // Log changes of state only, so a steady failure is one line, not one per probe.
    if (!previous || previous.success !== result.success || previous.reason !== result.reason) {
      this.#log(`${state.target}/${state.operation}: ${result.success ? 'up' : `failing (${result.reason})`}: ${result.detail}`);
    }
  }

  #jitterMs(): number {
    return Math.random() * this.#settings.jitterSeconds * 1000;
  }
}

function key(target: string, operation: string): string {
  return `${target}\u0000${operation}`;
}

function notSent(reason: 'throttled' | 'auth', detail: string): ProbeResult {
  return {
    success: false,
    reason,
    statusCode: 0,
    durationSeconds: 0,
    phases: { resolve: 0, connect: 0, tls: 0, processing: 0, transfer: 0 },
    undocumentedProperties: 0,
    retryAfterSeconds: undefined,
    detail,
  };
}
