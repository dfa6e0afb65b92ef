// The run's request budget: how many requests a minute the relay sends to a real target, shared by every request of the
// run (the preflight, the hand-written specs and the generated phase, from every worker), since they all go through it.
//
// The vendor states its rate limit per minute (200 requests a minute for its Voice APIs; none is documented for this API,
// so that is the safe assumption). A budget per minute spends it as stated: a token bucket of `perMinute` tokens, each
// spent token coming back 60 s after it was spent. The whole budget is the burst: a run that fits in one minute's budget
// (the default gate sends about 140 requests) goes as fast as the target answers, and no 60-second window ever holds more
// than `perMinute` requests. CONTRACT_MAX_RPS, deprecated, still spaces requests when it is set.

/** The budget's rule. */
export interface BudgetRule {
  /** Requests in any 60-second window (CONTRACT_MAX_REQUESTS_PER_MINUTE). */
  perMinute: number;
  /** Least time between two requests, in milliseconds (1000 / CONTRACT_MAX_RPS when that deprecated setting is given); 0: none. */
  minIntervalMs?: number;
}

const minuteMs = 60_000;

/**
 * When the next request may be sent, given when the earlier ones were (ascending, at least the last `perMinute` of them):
 * a pure function of its inputs, so the budget is tested with a made-up clock.
 */
export function nextSlot(sentAt: readonly number[], now: number, rule: BudgetRule): number {
  let at = now;
  // The token this request spends is the one the perMinute-th latest request spent: back 60 s after that one was sent.
  if (sentAt.length >= rule.perMinute) at = Math.max(at, sentAt[sentAt.length - rule.perMinute]! + minuteMs);
  const last = sentAt[sentAt.length - 1];
  if (rule.minIntervalMs && last !== undefined) at = Math.max(at, last + rule.minIntervalMs);
  return at;
}

/** A budget with its history: `reserve` books the next slot and says how long to wait for it. */
export class RequestBudget {
  private readonly sentAt: number[] = [];

  constructor(readonly rule: BudgetRule) {
    if (!Number.isSafeInteger(rule.perMinute) || rule.perMinute < 1)
      throw new Error(`a request budget needs a whole number of requests a minute, not ${rule.perMinute}`);
  }

  /** How long a request arriving at `now` would wait, booking nothing. */
  waitFor(now: number): number {
    return nextSlot(this.sentAt, now, this.rule) - now;
  }

  /**
   * Books the next slot for a request arriving at `now` (milliseconds) and returns how long to wait before sending it; or,
   * when that wait would be longer than `maxWaitMs`, books nothing and returns undefined.
   */
  reserve(now: number, maxWaitMs = Infinity): number | undefined {
    const at = nextSlot(this.sentAt, now, this.rule);
    if (at - now > maxWaitMs) return undefined;
    this.sentAt.push(at);
    // Only the last perMinute slots matter to the next one.
    if (this.sentAt.length > this.rule.perMinute) this.sentAt.splice(0, this.sentAt.length - this.rule.perMinute);
    return at - now;
  }
}

/** The most of these times (milliseconds, ascending) that fall in any 60-second window: the busiest minute the target saw. */
export function busiestMinute(times: readonly number[]): number {
  let most = 0;
  let start = 0;
  for (let end = 0; end < times.length; end++) {
    while (times[end]! - times[start]! >= minuteMs) start++;
    most = Math.max(most, end - start + 1);
  }
  return most;
}
