// Runs the probers on a jittered schedule per target×operation: one probe in flight per pair (shared with /probe), backing off on 429.
import type { Contract } from '../../contract/index';
import { redactText, type Secret } from '../../config/secret';
import type { ProbeSettings, ProbeTarget } from './config';
import type { ExporterMetrics } from './metrics';
import { clampDelay } from './delay';
import { ProbeClock } from './probe-clock';
import { ProbeHistory } from './history';
import { errorLabel, operationIds, probers, unsentFailure, type OperationId, type ProbeResult } from './probers';
import { TokenReader } from '../../config/credentials';
import { nextThrottle, notThrottled, type ThrottleEvent, type ThrottleState } from './throttle';

/** The last result of one target×operation and its history, for the status page and /status.json. */
export interface ProbeState {
  target: string;
  operation: OperationId;
  last: (ProbeResult & { finishedAtMs: number }) | undefined;
  probes: number;
  /** Probes that succeeded, of `probes`. */
  successes: number;
  /** Whether a probe of this pair is running now (scheduled or for /probe: they share one). */
  inFlight: boolean;
  /** The scheduled probes' memory: recent results, streaks, success counts over 24 h (bounded). */
  history: ProbeHistory;
}

/** The first pass of the schedule starts at most one probe per this many ms (spread over at most one interval). */
const firstPassSpacingMs = 5;

interface TargetEntry {
  target: ProbeTarget;
  tokens: TokenReader;
  /** The 429 back-off (throttle.ts). */
  throttle: ThrottleState;
}

/** A target backing off after HTTP 429: until when, and the Retry-After it sent (undefined: none). */
export interface Throttle {
  untilMs: number;
  retryAfterSeconds: number | undefined;
}

/** The one probe of a target×operation in flight, which every caller in the meantime shares. */
interface InFlight {
  promise: Promise<ProbeResult>;
  startedAtMs: number;
  /** When its own timeout ends it (ms since the epoch). */
  deadlineMs: number;
}

/** Probes targets on demand and on a schedule, sharing tokens, throttling state, in-flight probes and the contract. */
export class ProbeRunner {
  readonly #targets: ReadonlyMap<string, TargetEntry>;
  readonly #settings: ProbeSettings;
  readonly #contract: Contract;
  readonly #metrics: ExporterMetrics;
  readonly #log: (line: string) => void;
  readonly #states = new Map<string, ProbeState>();
  /** One timer for every slot (a heap of due times), instead of one setTimeout per target×operation. */
  readonly #clock = new ProbeClock<ProbeState>((state, lateMs) => this.#runSlot(state, lateMs));
  readonly #inFlight = new Map<string, InFlight>();
  /**
   * One controller per probe in flight, aborted by stop(). Not one signal shared by all: EventTarget.addEventListener
   * scans the listeners already there, so thousands of probes on one signal cost O(n²) (docs/benchmarks.md has the measurement).
   */
  readonly #controllers = new Set<AbortController>();
  /** The latest finished probe of each target×operation (scheduled or on-scrape), for /probe to reuse. */
  readonly #latest = new Map<string, { result: ProbeResult; finishedAtMs: number }>();
  #stopped = false;
  readonly #failureLog: ((line: string) => void) | undefined;

  constructor(options: {
    targets: ReadonlyArray<ProbeTarget>;
    settings: ProbeSettings;
    contract: Contract;
    metrics: ExporterMetrics;
    log: (line: string) => void;
    /** Receives one JSON line per failed probe that was sent (scheduled or /probe), e.g. for Loki; never a token. */
    failureLog?: (line: string) => void;
  }) {
    this.#failureLog = options.failureLog;
    this.#targets = new Map(
      options.targets.map((t) => [
        t.name,
        {
          target: t,
          // A rotation to a bad token keeps the last good one: say so once per change (the warning never holds a token).
          tokens: new TokenReader(t.tokenSource, (line) => options.log(`${t.name}: ${line}`)),
          throttle: notThrottled,
        },
      ]),
    );
    this.#settings = options.settings;
    this.#contract = options.contract;
    this.#metrics = options.metrics;
    this.#log = options.log;
    for (const { target } of this.#targets.values()) {
      for (const operation of operationIds) {
        this.#states.set(key(target.name, operation), {
          target: target.name,
          operation,
          last: undefined,
          probes: 0,
          successes: 0,
          inFlight: false,
          history: new ProbeHistory(),
        });
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

  /** Targets backing off after HTTP 429 now, with when the backoff ends (ms since the epoch). */
  throttledTargets(nowMs: number = Date.now()): Map<string, number> {
    const throttled = new Map<string, number>();
    for (const [name, throttle] of this.throttles(nowMs)) throttled.set(name, throttle.untilMs);
    return throttled;
  }

  /** Targets backing off after HTTP 429 now, with until when and the Retry-After they sent. */
  throttles(nowMs: number = Date.now()): Map<string, Throttle> {
    const throttled = new Map<string, Throttle>();
    for (const [name, { throttle }] of this.#targets)
      if (throttle.untilMs > nowMs) throttled.set(name, { untilMs: throttle.untilMs, retryAfterSeconds: throttle.retryAfterSeconds });
    return throttled;
  }

  /**
   * Starts the schedule. The first probes are spread evenly over min(interval, 5 ms per target×operation), plus a random
   * offset within the jitter: one target starts at once, 10,000 targets start at 1,333 probes a second over the first
   * 15 s interval instead of all within the jitter (and stay spread: each next slot is one interval ± jitter later).
   */
  start(): void {
    const pairs = this.#states.size;
    const spreadMs = Math.min(this.#settings.intervalSeconds * 1000, pairs * firstPassSpacingMs);
    let index = 0;
    for (const state of this.#states.values()) {
      this.#schedule(state, (index / pairs) * spreadMs + this.#jitterMs());
      index += 1;
    }
  }

  /** Clears every timer and aborts in-flight probes; nothing runs afterwards. */
  stop(): void {
    this.#stopped = true;
    this.#clock.clear();
    for (const controller of this.#controllers) controller.abort();
    this.#controllers.clear();
  }

  /**
   * Runs one probe now, or joins the one of this target×operation already in flight (the scheduler and every /probe
   * share it: the API never sees two at once from this exporter). While the API's Retry-After is running the target is
   * not called at all: the result is a throttled failure without a request. Resolves with a failed probe for anything
   * that goes wrong inside; only a bug outside the probe itself can reject.
   */
  async probe(
    targetName: string,
    operation: OperationId,
    timeoutMs: number,
    log: (line: string) => void,
    options: { reuseWithinMs?: number } = {},
  ): Promise<ProbeResult> {
    const entry = this.#targets.get(targetName);
    if (!entry) throw new Error(`no target named ${targetName}`);
    const now = Date.now();
    const latest = this.#latest.get(key(targetName, operation));
    const reuseWithinMs = options.reuseWithinMs ?? 0;
    if (latest && reuseWithinMs > 0 && now - latest.finishedAtMs < reuseWithinMs && now >= latest.finishedAtMs) {
      // /probe: a result this recent is answered again, so callers looping on /probe cannot multiply calls to the API.
      log(`reusing the probe of ${targetName}/${operation} that finished ${now - latest.finishedAtMs} ms ago (reuse window ${reuseWithinMs} ms)`);
      log(`${latest.result.success ? 'success' : `failure reason=${latest.result.reason}`}: ${latest.result.detail}`);
      return latest.result;
    }
    const { throttle } = entry;
    if (now < throttle.untilMs) {
      const wait = Math.ceil((throttle.untilMs - now) / 1000);
      log(`not calling the API: backing off for ${wait} s more after HTTP 429`);
      // Throttled is its own state: the status stays 429 (0 would read as "no response", i.e. down).
      const why = throttle.retryAfterSeconds === undefined ? 'no Retry-After sent' : `Retry-After ${throttle.retryAfterSeconds} s`;
      return {
        ...unsentFailure('throttled', `backing off after HTTP 429 (${why}): ${wait} s left`),
        statusCode: 429,
        retryAfterSeconds: throttle.retryAfterSeconds,
      };
    }
    const id = key(targetName, operation);
    const running = this.#inFlight.get(id);
    if (running) {
      log(`joining the probe of ${targetName}/${operation} in flight for ${now - running.startedAtMs} ms (one at a time per target×operation)`);
      const result = await withinDeadline(running, now + timeoutMs);
      log(`${result.success ? 'success' : `failure reason=${result.reason}`}: ${result.detail}`);
      return result;
    }
    const state = this.#states.get(id);
    const promise = this.#probeOnce(entry, operation, timeoutMs, log)
      .catch((error: unknown): ProbeResult => {
        // A fault of the exporter's own, not of the API: the probe failed, and the schedule goes on.
        this.#log(`exporter fault probing ${targetName}/${operation}: ${errorLabel(error)}`);
        return unsentFailure('other', `exporter fault while probing (${errorLabel(error)}): see the exporter log`);
      })
      .then((result) => {
        const finishedAtMs = Date.now();
        this.#latest.set(id, { result, finishedAtMs });
        if (!result.success && this.#failureLog) this.#failureLog(failureLogLine(targetName, operation, result, finishedAtMs));
        return result;
      })
      .finally(() => {
        this.#inFlight.delete(id);
        if (state) state.inFlight = false;
      });
    this.#inFlight.set(id, { promise, startedAtMs: now, deadlineMs: now + timeoutMs });
    if (state) state.inFlight = true;
    return promise;
  }

  async #probeOnce(entry: TargetEntry, operation: OperationId, timeoutMs: number, log: (line: string) => void): Promise<ProbeResult> {
    const controller = new AbortController();
    this.#controllers.add(controller);
    try {
      return await this.#probeWith(entry, operation, timeoutMs, log, controller.signal);
    } finally {
      this.#controllers.delete(controller);
    }
  }

  async #probeWith(entry: TargetEntry, operation: OperationId, timeoutMs: number, log: (line: string) => void, signal: AbortSignal): Promise<ProbeResult> {
    const targetName = entry.target.name;
    let token: Secret;
    try {
      const current = entry.tokens.current();
      token = current.token;
      this.#metrics.tokenExpiry(targetName, current.expiresAt);
    } catch (error) {
      // Our credential is unusable: a credential problem (auth), not the API being down.
      const message = error instanceof Error ? error.message : String(error);
      log(message);
      return unsentFailure('auth', message);
    }
    // Scheduled probes log nowhere: no redaction work for lines nobody reads.
    const redactingLog = log === discardProbeLog ? log : (line: string): void => log(redactText(line, [token]));
    const result = await probers[operation]({
      target: entry.target,
      token,
      timeoutMs,
      bodyLimitBytes: this.#settings.bodyLimitBytes,
      contract: this.#contract,
      log: redactingLog,
      signal,
    });
    const event: ThrottleEvent =
      result.reason === 'throttled'
        ? { kind: 'throttled', retryAfterSeconds: result.retryAfterSeconds }
        : result.statusCode !== 0
          ? { kind: 'answered', statusCode: result.statusCode }
          : { kind: 'no-answer' };
    const step = nextThrottle(entry.throttle, event, { nowMs: Date.now(), intervalSeconds: this.#settings.intervalSeconds });
    entry.throttle = step.state;
    if (step.backoffSeconds !== undefined) redactingLog(`HTTP 429: not calling target ${targetName} for ${step.backoffSeconds} s`);
    // One line per change of backoff, not one per 429 or per skipped slot.
    if (step.announce !== undefined) this.#log(`${targetName}: ${step.announce}`);
    return result;
  }

  #schedule(state: ProbeState, delayMs: number): void {
    if (this.#stopped) return;
    this.#clock.schedule(state, clampDelay(delayMs));
  }

  #runSlot(state: ProbeState, lateMs: number): void {
    // How far behind its slot the probe starts: 0 on an idle exporter, growing when it cannot keep up.
    this.#metrics.scheduleDelay(lateMs / 1000);
    void this.#runScheduled(state, performance.now() - lateMs);
  }

  /**
   * One scheduled slot. Whatever happens in it (a failed probe, an exporter fault, a slot skipped while throttled) is
   * recorded as a probe result, and the next slot is always scheduled: a probe can end the schedule of nothing. The
   * next slot is one interval (± jitter) after this slot was due, not after it started, so a late start does not
   * shift the schedule; never before this probe ended.
   */
  async #runScheduled(state: ProbeState, dueAt: number): Promise<void> {
    let probed = false;
    try {
      if (this.#stopped) return;
      const result = await this.probe(state.target, state.operation, this.#settings.timeoutSeconds * 1000, discardProbeLog);
      probed = true;
      // stop() may have run while the probe was awaited; the compiler's narrowing does not see across the await.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
      if (this.#stopped) return;
      this.#record(state, result);
    } catch (error) {
      // The slot's one catch. probe() answers a fault while probing with a failed result, so what lands here is a bug
      // outside it (the slot then records a failed probe) or in the recording (logged; the next slot records again).
      this.#log(`exporter fault ${probed ? 'recording' : 'probing'} ${state.target}/${state.operation}: ${errorLabel(error)}`);
      if (!probed && !this.#stopped) this.#recordFault(state, error);
    } finally {
      const interval = this.#settings.intervalSeconds * 1000;
      const elapsed = performance.now() - dueAt;
      this.#schedule(state, interval - elapsed + this.#jitterMs() - (this.#settings.jitterSeconds * 1000) / 2);
    }
  }

  /** A fault outside probe() becomes the slot's failed probe; if recording that fails too, it is logged and the slot still ends (never an unhandled rejection). */
  #recordFault(state: ProbeState, error: unknown): void {
    try {
      this.#record(state, unsentFailure('other', `exporter fault while probing (${errorLabel(error)}): see the exporter log`));
    } catch (again) {
      this.#log(`exporter fault recording ${state.target}/${state.operation}: ${errorLabel(again)}`);
    }
  }

  #record(state: ProbeState, result: ProbeResult): void {
    const finishedAtMs = Date.now();
    const previous = state.last;
    state.last = { ...result, finishedAtMs };
    state.probes += 1;
    if (result.success) state.successes += 1;
    state.history.record(result, finishedAtMs);
    this.#metrics.record(state.target, state.operation, result, finishedAtMs);
    // Log changes of state only, so a steady failure is one line, not one per probe.
    if (!previous || previous.success !== result.success || previous.reason !== result.reason) {
      const broke = result.contractBreak ? ` (expected ${result.contractBreak.expected}, observed ${result.contractBreak.observed})` : '';
      this.#log(`${state.target}/${state.operation}: ${result.success ? 'up' : `failing (${result.reason})`}: ${result.detail}${broke}`);
    }
  }

  #jitterMs(): number {
    return Math.random() * this.#settings.jitterSeconds * 1000;
  }
}

/** The log of a probe whose lines nobody reads (scheduled probes, /probe without debug=true): nothing is built or redacted for it. */
export const discardProbeLog = (_line: string): void => undefined;

function key(target: string, operation: string): string {
  return `${target}\u0000${operation}`;
}

/**
 * The shared probe's result, or — when the joiner's own deadline comes first (a /probe with a shorter scrape timeout
 * than the probe it joined) — a timeout for that joiner alone; the shared probe carries on for the others.
 */
function withinDeadline(running: InFlight, deadlineMs: number): Promise<ProbeResult> {
  if (deadlineMs >= running.deadlineMs) return running.promise;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ProbeResult>((resolve) => {
    timer = setTimeout(
      () => resolve(unsentFailure('timeout', `no result within ${((deadlineMs - running.startedAtMs) / 1000).toFixed(3)} s from the probe already in flight`)),
      clampDelay(deadlineMs - Date.now()),
    );
  });
  return Promise.race([running.promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * One failed probe as one JSON line (Loki, Vector, any log shipper): when, which target and operation, why, the
 * request (method and URL path), status, timing phases, the contract finding and a redacted, bounded body excerpt.
 * Built only from fields that never hold the token (details and excerpts are redacted when the probe makes them).
 */
export function failureLogLine(target: string, operation: string, result: ProbeResult, finishedAtMs: number): string {
  return JSON.stringify({
    ts: new Date(finishedAtMs).toISOString(),
    level: 'warn',
    msg: 'probe failed',
    target,
    operation,
    reason: result.reason ?? 'other',
    status: result.statusCode,
    duration_seconds: Math.round(result.durationSeconds * 1e6) / 1e6,
    phases: result.phases,
    request: result.evidence ? { method: result.evidence.method, path: result.evidence.path } : null,
    detail: result.detail,
    contract: result.contractBreak ?? null,
    violations: result.violations ?? [],
    body_excerpt: result.evidence?.bodyExcerpt ?? null,
    body_truncated: result.evidence?.bodyTruncated ?? false,
  });
}
