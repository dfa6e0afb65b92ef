// What the exporter remembers of one target×operation, in bounded memory: the last results, streaks, and per-minute counts for a day.
import type { ContractBreak, FailureReason, ProbeResult } from './probers';

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

/** A failed probe worth remembering after recovery: when, why, and where the body broke the contract. */
export interface RememberedFailure extends RecentResult {
  detail: string;
  contractBreak: ContractBreak | undefined;
}

/** Probes and successes over a window. */
export interface SuccessCounts {
  probes: number;
  successes: number;
}

/**
 * The memory of one target×operation: a ring of the last `recentResultsKept` results, when the current healthy or failing
 * streak began, the last success and failure, and a ring of per-minute probe and success counts over 24 h. About 6 KiB
 * whatever the uptime (two 1,440-entry 16-bit arrays and 60 small records).
 */
export class ProbeHistory {
  readonly #recent: RecentResult[] = [];
  /** Where the next result goes once the ring is full. */
  #next = 0;
  readonly #minuteProbes = new Uint16Array(minutesKept);
  readonly #minuteSuccesses = new Uint16Array(minutesKept);
  /** The newest minute (since the epoch) the counts hold; the ring holds that minute and the 1,439 before it. */
  #newestMinute: number | undefined;
  #streak: { success: boolean; sinceMs: number } | undefined;
  #lastSuccessAtMs: number | undefined;
  #lastFailure: RememberedFailure | undefined;

  /** Adds one probe result that finished at `atMs`. */
  record(result: ProbeResult, atMs: number): void {
    const entry: RecentResult = { atMs, success: result.success, reason: result.reason, statusCode: result.statusCode, durationSeconds: result.durationSeconds };
    if (this.#recent.length < recentResultsKept) this.#recent.push(entry);
    else this.#recent[this.#next] = entry;
    this.#next = (this.#next + 1) % recentResultsKept;

    if (!this.#streak || this.#streak.success !== result.success) this.#streak = { success: result.success, sinceMs: atMs };
    if (result.success) this.#lastSuccessAtMs = atMs;
    else this.#lastFailure = { ...entry, detail: result.detail, contractBreak: result.contractBreak };

    const minute = this.#advanceTo(Math.floor(atMs / 60_000));
    const slot = slotOf(minute);
    this.#minuteProbes[slot] = Math.min(maxCount, this.#minuteProbes[slot]! + 1);
    if (result.success) this.#minuteSuccesses[slot] = Math.min(maxCount, this.#minuteSuccesses[slot]! + 1);
  }

  /** The kept results, oldest first. */
  recent(): RecentResult[] {
    return this.#recent.length < recentResultsKept ? [...this.#recent] : [...this.#recent.slice(this.#next), ...this.#recent.slice(0, this.#next)];
  }

  /** Since when the current run of successes (healthy) or failures (failing) has lasted; undefined before the first probe. */
  streak(): { success: boolean; sinceMs: number } | undefined {
    return this.#streak;
  }

  lastSuccessAtMs(): number | undefined {
    return this.#lastSuccessAtMs;
  }

  lastFailure(): RememberedFailure | undefined {
    return this.#lastFailure;
  }

  /** Probes and successes in the `minutes` minutes up to `nowMs` (the current minute included), at most 24 h. */
  counts(minutes: number, nowMs: number): SuccessCounts {
    const counts: SuccessCounts = { probes: 0, successes: 0 };
    const newest = this.#newestMinute;
    if (newest === undefined) return counts;
    const nowMinute = Math.floor(nowMs / 60_000);
    const from = Math.max(nowMinute - Math.min(minutes, minutesKept) + 1, newest - minutesKept + 1);
    for (let minute = from; minute <= Math.min(nowMinute, newest); minute++) {
      const slot = slotOf(minute);
      counts.probes += this.#minuteProbes[slot]!;
      counts.successes += this.#minuteSuccesses[slot]!;
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
      this.#minuteProbes[slot] = 0;
      this.#minuteSuccesses[slot] = 0;
    }
    this.#newestMinute = minute;
    return minute;
  }
}

/** A minute's place in the ring (minutes before the epoch included, for synthetic clocks). */
function slotOf(minute: number): number {
  return ((minute % minutesKept) + minutesKept) % minutesKept;
}
