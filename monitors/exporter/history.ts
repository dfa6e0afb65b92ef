// What the exporter remembers of one target×operation, in bounded memory: the last results, streaks, and per-minute counts for a day.
import type { PhaseDurations } from './http-get';
import { failureReasons, type ContractBreak, type FailureEvidence, type FailureReason, type ProbeResult } from './probers';

/** How many recent results are kept per target×operation (the status page's history bar). */
export const recentResultsKept = 60;

/** Per-minute success counts cover this many minutes: 24 h, so the page can show the last hour and the last day. */
const minutesKept = 24 * 60;

/** Counts are 16-bit: a minute of more than 65,535 probes of one pair (an interval under 1 ms) saturates instead of wrapping. */
const maxCount = 0xffff;

/** One recorded probe, as the history bar shows it. */
export interface RecentResult {
  /** When it finished, ms since the epoch. */
  atMs: number;
  success: boolean;
  reason: FailureReason | undefined;
  statusCode: number;
  durationSeconds: number;
}

/** How many failed probes are kept per target×operation with their evidence (request, status, phases, body excerpt). */
export const failuresKept = 5;

/** A failed probe worth remembering after recovery: when, why, where the body broke the contract, and its evidence. */
export interface RememberedFailure extends RecentResult {
  detail: string;
  contractBreak: ContractBreak | undefined;
  /** The request (method and URL path: never a header or the token), the phases and a redacted body excerpt. */
  evidence?: FailureEvidence | undefined;
  phases?: PhaseDurations | undefined;
}

/** Probes, successes and throttled probes (answered 429 or skipped while backing off) over a window. */
export interface SuccessCounts {
  probes: number;
  successes: number;
  throttled: number;
}

/**
 * The memory of one target×operation: a ring of the last `recentResultsKept` results, when the current healthy or failing
 * streak began, the last success and failure, and a ring of per-minute probe and success counts over 24 h. About 7 KiB
 * in three typed arrays whatever the uptime, and no object per probe (at 20,000 pairs, 1.2 million small records were
 * 80 MiB more and most of the garbage collector's marking work).
 */
export class ProbeHistory {
  /** The recent ring: finish time (ms) at [i], duration (s) at [recentResultsKept + i]. */
  readonly #recentTimes = new Float64Array(2 * recentResultsKept);
  /** The recent ring: status code at [i], outcome at [recentResultsKept + i] (0 = success, 1 + index in failureReasons). */
  readonly #recentCodes = new Uint16Array(2 * recentResultsKept);
  /** How many results the ring holds (at most recentResultsKept). */
  #recentCount = 0;
  /** Where the next result goes once the ring is full. */
  #next = 0;
  /** Probes per minute at [slot], successes at [minutesKept + slot], throttled probes at [2 * minutesKept + slot]. */
  readonly #minuteCounts = new Uint16Array(3 * minutesKept);
  /** The newest minute (since the epoch) the counts hold; the ring holds that minute and the 1,439 before it. */
  #newestMinute: number | undefined;
  #streak: { success: boolean; sinceMs: number } | undefined;
  #lastSuccessAtMs: number | undefined;
  /** The last failuresKept failures, oldest first. */
  readonly #failures: RememberedFailure[] = [];

  /** Adds one probe result that finished at `atMs`. */
  record(result: ProbeResult, atMs: number): void {
    const at = this.#next;
    this.#recentTimes[at] = atMs;
    this.#recentTimes[recentResultsKept + at] = result.durationSeconds;
    this.#recentCodes[at] = result.statusCode;
    this.#recentCodes[recentResultsKept + at] = outcomeCode(result.success, result.reason);
    this.#recentCount = Math.min(recentResultsKept, this.#recentCount + 1);
    this.#next = (at + 1) % recentResultsKept;

    if (!this.#streak || this.#streak.success !== result.success) this.#streak = { success: result.success, sinceMs: atMs };
    if (result.success) this.#lastSuccessAtMs = atMs;
    else {
      const { success, reason, statusCode, durationSeconds, detail, contractBreak, evidence, phases } = result;
      this.#failures.push({ atMs, success, reason, statusCode, durationSeconds, detail, contractBreak, evidence, phases });
      if (this.#failures.length > failuresKept) this.#failures.shift();
    }

    const minute = this.#advanceTo(Math.floor(atMs / 60_000));
    const slot = slotOf(minute);
    this.#minuteCounts[slot] = Math.min(maxCount, this.#minuteCounts[slot]! + 1);
    if (result.success) this.#minuteCounts[minutesKept + slot] = Math.min(maxCount, this.#minuteCounts[minutesKept + slot]! + 1);
    if (result.reason === 'throttled') this.#minuteCounts[2 * minutesKept + slot] = Math.min(maxCount, this.#minuteCounts[2 * minutesKept + slot]! + 1);
  }

  /** The kept results, oldest first. */
  recent(): RecentResult[] {
    const results: RecentResult[] = [];
    const first = this.#recentCount < recentResultsKept ? 0 : this.#next;
    for (let k = 0; k < this.#recentCount; k++) {
      const i = (first + k) % recentResultsKept;
      const outcome = this.#recentCodes[recentResultsKept + i]!;
      results.push({
        atMs: this.#recentTimes[i]!,
        success: outcome === 0,
        reason: failureReasons[outcome - 1],
        statusCode: this.#recentCodes[i]!,
        durationSeconds: this.#recentTimes[recentResultsKept + i]!,
      });
    }
    return results;
  }

  /** Since when the current run of successes (healthy) or failures (failing) has lasted; undefined before the first probe. */
  streak(): { success: boolean; sinceMs: number } | undefined {
    return this.#streak;
  }

  lastSuccessAtMs(): number | undefined {
    return this.#lastSuccessAtMs;
  }

  lastFailure(): RememberedFailure | undefined {
    return this.#failures.at(-1);
  }

  /** The last failuresKept failures with their evidence, newest first. */
  failures(): RememberedFailure[] {
    return [...this.#failures].reverse();
  }

  /** Probes and successes in the `minutes` minutes up to `nowMs` (the current minute included), at most 24 h. */
  counts(minutes: number, nowMs: number): SuccessCounts {
    const counts: SuccessCounts = { probes: 0, successes: 0, throttled: 0 };
    const newest = this.#newestMinute;
    if (newest === undefined) return counts;
    const nowMinute = Math.floor(nowMs / 60_000);
    const from = Math.max(nowMinute - Math.min(minutes, minutesKept) + 1, newest - minutesKept + 1);
    for (let minute = from; minute <= Math.min(nowMinute, newest); minute++) {
      const slot = slotOf(minute);
      counts.probes += this.#minuteCounts[slot]!;
      counts.successes += this.#minuteCounts[minutesKept + slot]!;
      counts.throttled += this.#minuteCounts[2 * minutesKept + slot]!;
    }
    return counts;
  }

  /** Moves the ring forward to `minute`, zeroing the minutes it skips; a clock that went back counts in the newest minute. */
  #advanceTo(minute: number): number {
    const newest = this.#newestMinute;
    if (newest !== undefined && minute <= newest) return newest;
    const first = newest === undefined ? minute - minutesKept + 1 : Math.max(newest + 1, minute - minutesKept + 1);
    for (let m = first; m <= minute; m++) {
      const slot = slotOf(m);
      this.#minuteCounts[slot] = 0;
      this.#minuteCounts[minutesKept + slot] = 0;
      this.#minuteCounts[2 * minutesKept + slot] = 0;
    }
    this.#newestMinute = minute;
    return minute;
  }
}

/** A result's outcome in 16 bits: 0 = success, 1 + the reason's index, or past the reasons for a failure without one. */
function outcomeCode(success: boolean, reason: FailureReason | undefined): number {
  if (success) return 0;
  return reason === undefined ? failureReasons.length + 1 : 1 + failureReasons.indexOf(reason);
}

/** A minute's place in the ring (minutes before the epoch included, for synthetic clocks). */
function slotOf(minute: number): number {
  return ((minute % minutesKept) + minutesKept) % minutesKept;
}
