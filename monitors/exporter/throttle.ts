// The 429 back-off of one target as a small state machine: what a probe's answer does to it, apart from the probing.

/** Backoff when a 429 has no readable Retry-After: doubling from one interval, capped at this many seconds. */
export const maxThrottleBackoffSeconds = 300;

/** One target's throttling: not throttled is a streak of 0, untilMs 0 and nothing announced. */
export interface ThrottleState {
  /** 429s in a row, for the doubling backoff. */
  readonly streak: number;
  /** Until when the target is not called (ms since the epoch); 0 = not throttled. */
  readonly untilMs: number;
  /** The last 429's Retry-After in seconds, undefined when it sent none (or none readable). */
  readonly retryAfterSeconds: number | undefined;
  /** The backoff last announced in the log, so a throttle is logged once per change, not per slot; undefined: none. */
  readonly announcedSeconds: number | undefined;
}

export const notThrottled: ThrottleState = { streak: 0, untilMs: 0, retryAfterSeconds: undefined, announcedSeconds: undefined };

/** What a sent probe's answer tells the machine: a 429 (with its Retry-After), another status, or no answer at all. */
export type ThrottleEvent = { kind: 'throttled'; retryAfterSeconds: number | undefined } | { kind: 'answered'; statusCode: number } | { kind: 'no-answer' };

/** The next state, the backoff this event starts (seconds; undefined: none) and the line to log once (undefined: none). */
export interface ThrottleStep {
  state: ThrottleState;
  backoffSeconds: number | undefined;
  announce: string | undefined;
}

/**
 * One transition. A 429 backs off for its Retry-After, or without one for the interval doubled per 429 in a row (capped);
 * any other answer ends the streak (and says so once, if a backoff was announced); no answer (a timeout, a refused
 * connection) changes nothing: it says nothing about the rate limit.
 */
export function nextThrottle(state: ThrottleState, event: ThrottleEvent, context: { nowMs: number; intervalSeconds: number }): ThrottleStep {
  switch (event.kind) {
    case 'throttled': {
      const streak = state.streak + 1;
      const backoffSeconds = event.retryAfterSeconds ?? Math.min(maxThrottleBackoffSeconds, context.intervalSeconds * 2 ** (streak - 1));
      const changed = state.announcedSeconds !== backoffSeconds;
      return {
        state: { streak, untilMs: context.nowMs + backoffSeconds * 1000, retryAfterSeconds: event.retryAfterSeconds, announcedSeconds: backoffSeconds },
        backoffSeconds,
        announce: changed
          ? `HTTP 429: not calling it for ${backoffSeconds} s (${event.retryAfterSeconds === undefined ? 'no readable Retry-After: backing off' : 'Retry-After'})`
          : undefined,
      };
    }
    case 'answered':
      return {
        state: { ...state, streak: 0, announcedSeconds: undefined },
        backoffSeconds: undefined,
        announce: state.announcedSeconds === undefined ? undefined : `no longer throttled (HTTP ${event.statusCode})`,
      };
    case 'no-answer':
      return { state, backoffSeconds: undefined, announce: undefined };
  }
}
