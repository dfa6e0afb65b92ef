// The 429 back-off as a table: each state × each answer → the next state, the backoff it starts and what it logs once.
import { expect, test } from '@playwright/test';
import { maxThrottleBackoffSeconds, nextThrottle, notThrottled, type ThrottleEvent, type ThrottleState } from '../monitors/exporter/throttle';

const nowMs = 1_000_000;
const context = { nowMs, intervalSeconds: 30 };

const states: Record<string, ThrottleState> = {
  'not throttled': notThrottled,
  'one 429, no Retry-After (30 s)': { streak: 1, untilMs: nowMs - 1, retryAfterSeconds: undefined, announcedSeconds: 30 },
  'four 429s, no Retry-After (240 s)': { streak: 4, untilMs: nowMs - 1, retryAfterSeconds: undefined, announcedSeconds: 240 },
  'one 429 with Retry-After 5': { streak: 1, untilMs: nowMs - 1, retryAfterSeconds: 5, announcedSeconds: 5 },
};

const events: Record<string, ThrottleEvent> = {
  '429, no Retry-After': { kind: 'throttled', retryAfterSeconds: undefined },
  '429, Retry-After 5': { kind: 'throttled', retryAfterSeconds: 5 },
  '200': { kind: 'answered', statusCode: 200 },
  '503': { kind: 'answered', statusCode: 503 },
  'no answer': { kind: 'no-answer' },
};

/** Expected: [streak after, backoff seconds (undefined: none), announced after, the line logged once (undefined: none)]. */
type Row = [number, number | undefined, number | undefined, string | undefined];
const noBackoff = 'no readable Retry-After: backing off';
const table: Record<string, Record<string, Row>> = {
  'not throttled': {
    '429, no Retry-After': [1, 30, 30, `HTTP 429: not calling it for 30 s (${noBackoff})`],
    '429, Retry-After 5': [1, 5, 5, 'HTTP 429: not calling it for 5 s (Retry-After)'],
    '200': [0, undefined, undefined, undefined],
    '503': [0, undefined, undefined, undefined],
    'no answer': [0, undefined, undefined, undefined],
  },
  'one 429, no Retry-After (30 s)': {
    '429, no Retry-After': [2, 60, 60, `HTTP 429: not calling it for 60 s (${noBackoff})`],
    '429, Retry-After 5': [2, 5, 5, 'HTTP 429: not calling it for 5 s (Retry-After)'],
    '200': [0, undefined, undefined, 'no longer throttled (HTTP 200)'],
    '503': [0, undefined, undefined, 'no longer throttled (HTTP 503)'],
    'no answer': [1, undefined, 30, undefined],
  },
  'four 429s, no Retry-After (240 s)': {
    '429, no Retry-After': [5, maxThrottleBackoffSeconds, maxThrottleBackoffSeconds, `HTTP 429: not calling it for 300 s (${noBackoff})`],
    '429, Retry-After 5': [5, 5, 5, 'HTTP 429: not calling it for 5 s (Retry-After)'],
    '200': [0, undefined, undefined, 'no longer throttled (HTTP 200)'],
    '503': [0, undefined, undefined, 'no longer throttled (HTTP 503)'],
    'no answer': [4, undefined, 240, undefined],
  },
  'one 429 with Retry-After 5': {
    '429, no Retry-After': [2, 60, 60, `HTTP 429: not calling it for 60 s (${noBackoff})`],
    '429, Retry-After 5': [2, 5, 5, undefined],
    '200': [0, undefined, undefined, 'no longer throttled (HTTP 200)'],
    '503': [0, undefined, undefined, 'no longer throttled (HTTP 503)'],
    'no answer': [1, undefined, 5, undefined],
  },
};

test('every state × answer of the 429 back-off gives the tabled next state, backoff and log line', () => {
  for (const [stateName, state] of Object.entries(states)) {
    for (const [eventName, event] of Object.entries(events)) {
      const [streak, backoff, announced, line] = table[stateName]![eventName]!;
      const step = nextThrottle(state, event, context);
      const where = `${stateName} × ${eventName}`;
      expect(step.state.streak, `${where}: streak`).toBe(streak);
      expect(step.backoffSeconds, `${where}: backoff`).toBe(backoff);
      expect(step.state.announcedSeconds, `${where}: announced`).toBe(announced);
      expect(step.announce, `${where}: log line`).toBe(line);
      // A 429 blocks calls for its backoff from now; anything else leaves the block as it was.
      expect(step.state.untilMs, `${where}: until`).toBe(backoff === undefined ? state.untilMs : nowMs + backoff * 1000);
      if (event.kind === 'throttled') expect(step.state.retryAfterSeconds, `${where}: Retry-After kept`).toBe(event.retryAfterSeconds);
    }
  }
});
