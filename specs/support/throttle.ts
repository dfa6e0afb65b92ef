// The specs' one way to meet a 429: wait as Retry-After asks, a few times per request, within one budget per worker.
import { test } from '@playwright/test';

/** At most this many retries of one request after a 429. */
export const maxThrottleRetries = 2;
/** At most this long waited after 429s in all, per worker (one worker by default: per run), by every client together. */
export const throttleBudgetMs = 30_000;

let throttleWaitedMs = 0;

/** Seconds (or an HTTP date) in a Retry-After header, as milliseconds from `now`; 1 s when absent or unreadable. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number {
  if (value === undefined) return 1000;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? 1000 : Math.max(0, date - now);
}

/**
 * After a 429 with this Retry-After: waits as asked (lengthening the test's timeout by as much) and resolves with the
 * milliseconds waited, or with undefined, without waiting, when that would pass the worker's budget. The vendor's rate
 * limit is not drift, so the caller retries; once the budget is spent, the test is throttled.
 */
export async function waitAfterThrottle(retryAfter: string | undefined): Promise<number | undefined> {
  const wait = retryAfterMs(retryAfter);
  if (throttleWaitedMs + wait > throttleBudgetMs) return undefined;
  const info = test.info();
  if (info.timeout > 0) info.setTimeout(info.timeout + wait);
  await new Promise((resolve) => setTimeout(resolve, wait));
  throttleWaitedMs += wait;
  return wait;
}
