// One rule for every timer in the exporter: a delay is a finite number of milliseconds from 0 to 2^31-1.

/**
 * The longest delay setTimeout/setInterval honour (~24.8 days). Anything larger (or NaN, or Infinity) is silently
 * replaced by 1 ms, which turns "wait a very long time" into a busy loop; clampDelay never lets that happen.
 */
export const maxTimerDelayMs = 2 ** 31 - 1;

/** `ms` made safe for setTimeout: negative or NaN → 0, above 2^31-1 (or Infinity) → 2^31-1. */
export function clampDelay(ms: number): number {
  if (Number.isNaN(ms) || ms <= 0) return 0;
  return Math.min(ms, maxTimerDelayMs);
}
