// A hostile API cannot break the exporter: probes never throw, every delay is bounded, /probe is bounded, memory stays flat.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { Secret } from '../config/secret';
import { customerWithRole } from '../config/target';
import { checkResponse, jsonDepthExceeds, loadContract } from '../contract/index';
import type { ProbeSettings, ProbeTarget, TokenSource } from '../monitors/exporter/config';
import { clampDelay, maxTimerDelayMs } from '../monitors/exporter/delay';
import { httpGet } from '../monitors/exporter/http-get';
import { httpDateMs, maxRetryAfterSeconds, retryAfterSeconds } from '../monitors/exporter/probers';
import { maxConcurrentScrapeProbes, startExporter, type RunningExporter } from '../monitors/exporter/server';
import { startHostileTarget, type HostileMode, type HostileTarget } from './helpers/hostile-target';
import { eventually, sampleValue, scrape } from './helpers/monitor-harness';
import { startProcess, tsxCommand } from './helpers/processes';

const op = { operation: 'getCustomer', target: 'default' };
const usage = { operation: 'getCustomerUsage', target: 'default' };
const mib = 1024 * 1024;
/**
 * A probe a second with a 0.9 s timeout: room for a loaded machine (the hostile target runs in this process too), so
 * a probe's reason is the target's doing, not the machine's. Nothing below measures time; it only waits for counts.
 */
const roomySettings: Partial<ProbeSettings> = { intervalSeconds: 1, timeoutSeconds: 0.9, jitterSeconds: 0.1 };

function hostileTarget(hostile: HostileTarget, tokenSource?: TokenSource, baseUrl?: string): ProbeTarget {
  const primary = customerWithRole(hostile.customers, 'primary');
  return {
    name: 'default',
    baseUrl: baseUrl ?? hostile.baseUrl,
    customerId: primary.id,
    tokenSource: tokenSource ?? { kind: 'value', token: new Secret(primary.token) },
    authScheme: 'Bearer',
  };
}

async function startLoggingExporter(
  targets: ProbeTarget[],
  settings: Partial<ProbeSettings> = roomySettings,
  scheduled = true,
  probeReuseSeconds = 0,
): Promise<{ exporter: RunningExporter; logs: string[] }> {
  const logs: string[] = [];
  const exporter = await startExporter({ targets, settings, port: 0, defaultMetrics: false, scheduled, probeReuseSeconds, log: (line) => logs.push(line) });
  return { exporter, logs };
}

function probesTotal(exporter: RunningExporter): number {
  return exporter.runner.states().reduce((n, s) => n + s.probes, 0);
}

/** The state badge of each status-page row, keyed by operation. */
async function statusPageStates(exporter: RunningExporter): Promise<Record<string, string>> {
  const { text } = await scrape(exporter, '/');
  return Object.fromEntries([...text.matchAll(/<tr data-target="default" data-operation="(\w+)" data-status="(\w+)">/g)].map((m) => [m[1]!, m[2]!]));
}

async function withHostile(mode: HostileMode, body: (hostile: HostileTarget) => Promise<void>): Promise<void> {
  const hostile = await startHostileTarget({ mode });
  try {
    await body(hostile);
  } finally {
    await hostile.stop();
  }
}

test.describe('probes cannot throw', () => {
  test('the contract check refuses JSON nested deeper than 64 levels before parsing it, and never throws', () => {
    const contract = loadContract();
    const deep = (depth: number): string => `{"success":true,"data":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    const check = checkResponse(contract, 'getCustomer', { status: 200, contentType: 'application/json', bodyText: deep(5_000) });
    expect(check.breaking, 'one breaking finding').toHaveLength(1);
    expect(check.breaking[0]!.message).toBe('(response): body nests deeper than 64 levels: not parsed');
    expect(check.body, 'not parsed').toBeUndefined();
    // Within the bound the body is parsed and judged as usual (data must be an object, not an array).
    const shallow = checkResponse(contract, 'getCustomer', { status: 200, contentType: 'application/json', bodyText: deep(60) });
    expect(shallow.breaking.map((f) => f.kind)).toContain('type-mismatch');
    expect(shallow.breaking.map((f) => f.message).join('\n')).not.toContain('nests deeper');
    // The scan ignores brackets inside strings, escaped quotes included.
    expect(jsonDepthExceeds(`{"a":"${'['.repeat(100)}\\"${'{'.repeat(100)}"}`, 64)).toBe(false);
    expect(jsonDepthExceeds('['.repeat(65), 64)).toBe(true);
    expect(jsonDepthExceeds('['.repeat(64) + ']'.repeat(64), 64)).toBe(false);
    // An oversized body is a finding too, with the same shape.
    const big = checkResponse(contract, 'getCustomer', { status: 200, contentType: 'application/json', bodyText: `{"x":"${'a'.repeat(2_000)}"}` }, [], {
      maxLength: 1_000,
    });
    expect(big.breaking[0]!.message).toContain('larger than 1000 characters');
  });

  test('deep JSON: probes keep running on schedule and fail as reason="contract"; the status page is not UP; /probe answers 200', async () => {
    await withHostile('deep-json', async (hostile) => {
      const { exporter, logs } = await startLoggingExporter([hostileTarget(hostile)]);
      try {
        await eventually(
          'contract failures counted',
          async () => (sampleValue((await scrape(exporter)).text, 'customer_api_probe_failures_total', { ...op, reason: 'contract' }) ?? 0) >= 2,
        );
        const before = probesTotal(exporter);
        await eventually('more probes on schedule', () => probesTotal(exporter) >= before + 4);
        const { text } = await scrape(exporter);
        expect(sampleValue(text, 'probe_success', op)).toBe(0);
        expect(sampleValue(text, 'probe_success', usage)).toBe(0);
        expect(sampleValue(text, 'customer_api_probes_total', op), 'the counter grows').toBeGreaterThanOrEqual(2);
        expect(sampleValue(text, 'probe_http_status_code', op)).toBe(200);
        await eventually('both operations failing as contract', () => exporter.runner.states().every((s) => s.last?.reason === 'contract'));
        for (const state of exporter.runner.states()) expect(state.last?.detail).toContain('breaks the contract');
        expect(await statusPageStates(exporter)).toEqual({ getCustomer: 'failing', getCustomerUsage: 'failing' });
        const onDemand = await scrape(exporter, '/probe?target=default&operation=getCustomer&debug=true');
        expect(onDemand.status, '/probe is not an exporter fault').toBe(200);
        expect(onDemand.text).toContain('nests deeper than 64 levels');
        expect(sampleValue((await scrape(exporter, '/probe?target=default&operation=getCustomer')).text, 'probe_success', op)).toBe(0);
        expect(logs.join('\n'), 'no exporter fault').not.toContain('exporter fault');
      } finally {
        await exporter.stop();
      }
    });
  });

  test('a token file rotated to two lines: probes keep running, never throw, and neither line leaks', async () => {
    await withHostile('faithful', async (hostile) => {
      const primary = customerWithRole(hostile.customers, 'primary');
      const other = customerWithRole(hostile.customers, 'other');
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'monitor-hostile-token-'));
      const tokenFile = path.join(dir, 'token');
      fs.writeFileSync(tokenFile, `${primary.token}\n`);
      const { exporter, logs } = await startLoggingExporter([hostileTarget(hostile, { kind: 'file', path: tokenFile })]);
      try {
        await eventually('both operations up', () => exporter.runner.states().every((s) => s.last?.success));
        fs.writeFileSync(tokenFile, `${primary.token}\n${other.token}\n`);
        const before = probesTotal(exporter);
        await eventually('probes keep running after the rotation', () => probesTotal(exporter) >= before + 6);
        for (const state of exporter.runner.states()) {
          // Either the reader kept the last good token (success), or the probe failed as a probe: never an exception.
          expect(
            state.last?.success || ['other', 'auth', 'timeout'].includes(state.last?.reason ?? ''),
            `${state.operation}: ${state.last?.reason} ${state.last?.detail}`,
          ).toBe(true);
        }
        const outputs = [
          (await scrape(exporter)).text,
          (await scrape(exporter, '/')).text,
          (await scrape(exporter, '/probe?target=default&operation=getCustomer&debug=true')).text,
          logs.join('\n'),
        ];
        for (const text of outputs) {
          expect(text.includes(primary.token), 'no token line in any output').toBe(false);
          expect(text.includes(other.token), 'no token line in any output').toBe(false);
        }
        for (const request of hostile.requests) expect(request.authorization ?? '', 'one-line Authorization only').not.toMatch(/[\r\n]/);
      } finally {
        await exporter.stop();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  test('a request http.request refuses to build (bad header value, bad URL) is a failed probe, reason="other", without the token', async () => {
    const token = 'line-one-of-a-token\nline-two-of-a-token';
    const header = await httpGet('http://127.0.0.1:9/x', { headers: { authorization: `Bearer ${token}` }, timeoutMs: 1000, bodyLimitBytes: 1000 });
    expect(header.failure).toEqual({ kind: 'invalid-request', code: 'ERR_INVALID_CHAR' });
    const url = await httpGet('http://127.0.0.1:99999/x', { headers: {}, timeoutMs: 1000, bodyLimitBytes: 1000 });
    expect(url.failure).toEqual({ kind: 'invalid-request', code: 'ERR_INVALID_URL' });

    const { exporter, logs } = await startLoggingExporter([
      { name: 'default', baseUrl: 'http://127.0.0.1:9/v2', customerId: 'c1', tokenSource: { kind: 'value', token: new Secret(token) }, authScheme: 'Bearer' },
      {
        name: 'bad_url',
        baseUrl: 'http://127.0.0.1:99999/v2',
        customerId: 'c1',
        tokenSource: { kind: 'value', token: new Secret('a-plain-token-value') },
        authScheme: 'Bearer',
      },
    ]);
    try {
      await eventually('three probes of each pair', () => exporter.runner.states().every((s) => s.probes >= 3));
      for (const state of exporter.runner.states()) {
        expect(state.last?.reason, `${state.target}/${state.operation}`).toBe('other');
        expect(state.last?.detail).toContain(state.target === 'default' ? 'ERR_INVALID_CHAR' : 'ERR_INVALID_URL');
        expect(state.last?.statusCode).toBe(0);
      }
      const { text } = await scrape(exporter);
      expect(sampleValue(text, 'customer_api_probe_failures_total', { ...op, reason: 'other' })).toBeGreaterThanOrEqual(3);
      const debug = (await scrape(exporter, '/probe?target=default&operation=getCustomer&debug=true')).text;
      for (const out of [text, debug, (await scrape(exporter, '/')).text, logs.join('\n')]) {
        expect(out).not.toContain('line-one-of-a-token');
        expect(out).not.toContain('line-two-of-a-token');
        expect(out).not.toContain('a-plain-token-value');
      }
    } finally {
      await exporter.stop();
    }
  });

  test('when probing itself throws, the scheduler records a failure (reason="other") and keeps its schedule', async () => {
    await withHostile('faithful', async (hostile) => {
      const { exporter, logs } = await startLoggingExporter([hostileTarget(hostile)]);
      try {
        await eventually('both operations up', () => exporter.runner.states().every((s) => s.last?.success));
        exporter.runner.probe = () => Promise.reject(new Error('a bug quoting secret-looking-value'));
        const before = probesTotal(exporter);
        await eventually(
          'failures recorded on schedule',
          () => probesTotal(exporter) >= before + 4 && exporter.runner.states().every((s) => s.last?.reason === 'other'),
        );
        const { text } = await scrape(exporter);
        expect(sampleValue(text, 'probe_success', op), 'not the old success').toBe(0);
        expect(await statusPageStates(exporter)).toEqual({ getCustomer: 'failing', getCustomerUsage: 'failing' });
        expect(logs.join('\n')).toContain('exporter fault');
        expect(logs.join('\n'), 'the error message is not logged (it could quote anything)').not.toContain('secret-looking-value');
      } finally {
        await exporter.stop();
      }
    });
  });
  test('when probing throws and recording that failure throws too, the fault is logged and the schedule goes on (no unhandled rejection)', async () => {
    await withHostile('faithful', async (hostile) => {
      const { exporter, logs } = await startLoggingExporter([hostileTarget(hostile)]);
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
      process.on('unhandledRejection', onUnhandled);
      try {
        await eventually('both operations up', () => exporter.runner.states().every((s) => s.last?.success));
        exporter.runner.probe = () => Promise.reject(new Error('a probing bug'));
        let attempts = 0;
        for (const state of exporter.runner.states()) {
          state.history.record = () => {
            attempts += 1;
            throw new Error('a recording bug');
          };
        }
        await eventually('several slots ran into both faults', () => attempts >= 4);
        expect(logs.join('\n')).toContain('exporter fault recording');
        expect(unhandled, 'every fault is caught in its slot').toEqual([]);
      } finally {
        process.off('unhandledRejection', onUnhandled);
        await exporter.stop();
      }
    });
  });
});

test.describe('every delay is bounded', () => {
  test('Retry-After: delta-seconds and the three HTTP-date forms, capped at 600 s', () => {
    const now = Date.UTC(2026, 0, 15, 12, 0, 0);
    expect(maxRetryAfterSeconds).toBe(600);
    expect(retryAfterSeconds('120', now)).toBe(120);
    expect(retryAfterSeconds('0', now)).toBe(0);
    expect(retryAfterSeconds('99999999', now)).toBe(600);
    expect(retryAfterSeconds('999999999999999999999999', now)).toBe(600);
    expect(retryAfterSeconds('Thu, 15 Jan 2026 12:02:00 GMT', now), 'IMF-fixdate').toBe(120);
    expect(retryAfterSeconds('Thursday, 15-Jan-26 12:01:30 GMT', now), 'RFC 850').toBe(90);
    expect(retryAfterSeconds('Thu Jan 15 12:00:45 2026', now), 'asctime').toBe(45);
    expect(retryAfterSeconds('Thu Jan  1 12:00:45 2026', now), 'asctime, one-digit day: in the past').toBe(0);
    expect(retryAfterSeconds('Fri, 15 Jan 2100 12:00:00 GMT', now), 'far future: capped').toBe(600);
    expect(retryAfterSeconds('Wed, 14 Jan 2026 12:00:00 GMT', now), 'in the past').toBe(0);
    for (const bad of ['', '  ', '-5', '1.5', 'soon', '2026-01-15T12:02:00Z', 'Thu, 31 Feb 2026 12:00:00 GMT', 'Thu, 15 Jan 2026 12:02:00 PST']) {
      expect(retryAfterSeconds(bad, now), JSON.stringify(bad)).toBeUndefined();
    }
    expect(retryAfterSeconds(['30', '99999'], now), 'the first of repeated headers').toBe(30);
    expect(httpDateMs('Sun, 06 Nov 1994 08:49:37 GMT')).toBe(Date.UTC(1994, 10, 6, 8, 49, 37));
  });

  test('clampDelay keeps every timer within 0 … 2^31-1 ms', () => {
    expect(maxTimerDelayMs).toBe(2_147_483_647);
    expect(clampDelay(99_999_999_000)).toBe(maxTimerDelayMs);
    expect(clampDelay(Infinity)).toBe(maxTimerDelayMs);
    expect(clampDelay(NaN)).toBe(0);
    expect(clampDelay(-5)).toBe(0);
    expect(clampDelay(1500)).toBe(1500);
  });

  test('429 with Retry-After: 99999999: no timer loop, no calls for 600 s, THROTTLED on the status page and in the counters', async () => {
    await withHostile('faithful', async (hostile) => {
      const { exporter, logs } = await startLoggingExporter([hostileTarget(hostile)]);
      // Every timer the process sets from here on, and Node's overflow warnings: a huge delay becomes a 1 ms loop.
      const originalSetTimeout = globalThis.setTimeout;
      let hugeTimers = 0;
      let overflowWarnings = 0;
      const onWarning = (warning: Error): void => {
        if (warning.name === 'TimeoutOverflowWarning') overflowWarnings += 1;
      };
      process.on('warning', onWarning);
      globalThis.setTimeout = ((callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
        if (ms !== undefined && !(ms <= maxTimerDelayMs)) hugeTimers += 1;
        return originalSetTimeout(callback, ms, ...args);
      }) as unknown as typeof setTimeout;
      try {
        await eventually('both operations up', () => exporter.runner.states().every((s) => s.last?.success));
        expect(await statusPageStates(exporter)).toEqual({ getCustomer: 'up', getCustomerUsage: 'up' });
        hostile.setMode('retry-after-huge');
        const requestsAtSwitch = hostile.requests.length;
        const logsAtSwitch = logs.length;
        const first = await scrape(exporter, '/probe?target=default&operation=getCustomer&debug=true');
        expect(first.status).toBe(200);
        expect(sampleValue(first.text, 'probe_success', op)).toBe(0);
        // Either this scrape met the 429, or a scheduled probe met it a moment earlier and this one backed off.
        expect(first.text).toMatch(/HTTP 429: not calling target default for 600 s|backing off for (59\d|600) s more/);
        // Throttled at once for both operations, whatever their last result was.
        expect(await statusPageStates(exporter)).toEqual({ getCustomer: 'throttled', getCustomerUsage: 'throttled' });

        // Several intervals' worth of slots: each must be one timer at the interval, not a loop, and call nobody.
        const skipped = (labels: Record<string, string>) => async () =>
          (sampleValue((await scrape(exporter)).text, 'customer_api_probe_failures_total', { ...labels, reason: 'throttled' }) ?? 0) >= 3;
        await eventually('throttled slots of getCustomer counted', skipped(op));
        await eventually('throttled slots of getCustomerUsage counted', skipped(usage));
        expect(hugeTimers, 'timers over 2^31-1 ms').toBe(0);
        expect(overflowWarnings, 'TimeoutOverflowWarning').toBe(0);
        expect(hostile.requests.length - requestsAtSwitch, 'calls to the API while it asked us to wait').toBeLessThanOrEqual(2);
        const { text } = await scrape(exporter);
        expect(sampleValue(text, 'probe_success', usage)).toBe(0);
        expect(sampleValue(text, 'probe_http_status_code', usage), 'a skipped slot sent nothing, and still reads 429 (throttled), not 0 (down)').toBe(429);
        expect(sampleValue(text, 'customer_api_probe_duration_seconds_count', usage)!, 'skipped slots are not latency samples').toBeLessThanOrEqual(
          sampleValue(text, 'customer_api_probes_total', usage)! - 3,
        );
        expect(await statusPageStates(exporter)).toEqual({ getCustomer: 'throttled', getCustomerUsage: 'throttled' });
        const page = (await scrape(exporter, '/')).text;
        expect(page).toContain('THROTTLED');
        expect(page).toMatch(/not calling the API for (59\d|600) s more/);
        // One line for the throttle (with the capped backoff), one per operation changing state: not one per slot.
        const since = logs.slice(logsAtSwitch);
        expect(
          since.filter((l) => l.includes('not calling it for 600 s')),
          since.join('\n'),
        ).toHaveLength(1);
        expect(since.length, since.join('\n')).toBeLessThanOrEqual(4);
        const onDemand = await scrape(exporter, '/probe?target=default&operation=getCustomerUsage&debug=true');
        expect(onDemand.text, '/probe honours the backoff').toContain('backing off');
        expect(hostile.requests.length - requestsAtSwitch).toBeLessThanOrEqual(2);
      } finally {
        globalThis.setTimeout = originalSetTimeout;
        process.off('warning', onWarning);
        await exporter.stop();
      }
    });
  });
});

test.describe('/probe is bounded', () => {
  test(`200 parallel /probe scrapes of one target×operation: one request reaches the API, at most ${maxConcurrentScrapeProbes} wait for it, the rest get 503`, async () => {
    await withHostile('slow-headers', async (hostile) => {
      // The API never answers: every admitted scrape waits for the one shared probe until its 3 s timeout.
      const { exporter, logs } = await startLoggingExporter([hostileTarget(hostile)], { intervalSeconds: 30, timeoutSeconds: 3 }, false);
      try {
        const answers = await Promise.all(
          Array.from({ length: 200 }, async () => {
            const res = await fetch(`${exporter.url}/probe?target=default&operation=getCustomer`);
            return { status: res.status, text: await res.text() };
          }),
        );
        const ok = answers.filter((a) => a.status === 200);
        const busy = answers.filter((a) => a.status === 503);
        test
          .info()
          .annotations.push({ type: 'measured', description: `${ok.length} × 200, ${busy.length} × 503, ${hostile.requests.length} request(s) to the API` });
        expect(ok.length + busy.length, 'only 200 and 503').toBe(200);
        expect(hostile.requests.length, 'single flight: the API sees one request (a straggler may start a second)').toBeLessThanOrEqual(2);
        expect(ok.length).toBeGreaterThanOrEqual(1);
        expect(busy.length, 'over the cap: 503').toBeGreaterThanOrEqual(1);
        for (const a of ok) expect(sampleValue(a.text, 'probe_success', op)).toBe(0);
        for (const a of busy) {
          expect(a.text).toContain(`too many /probe requests in flight (at most ${maxConcurrentScrapeProbes})`);
          expect(a.text.trim().split('\n'), 'one line').toHaveLength(1);
        }
        expect(
          logs.filter((l) => l.includes('answering 503')),
          'the overload is logged once, not per scrape',
        ).toHaveLength(1);
        // The cap is released when the probes end.
        const after = await scrape(exporter, '/probe?target=default&operation=getCustomerUsage', { 'X-Prometheus-Scrape-Timeout-Seconds': '1' });
        expect(after.status).toBe(200);
      } finally {
        await exporter.stop();
      }
    });
  });

  test('16 strangers looping on /probe: the API sees one request per target×operation per reuse window, not one per call', async () => {
    await withHostile('faithful', async (hostile) => {
      // A window longer than the test, so the count does not depend on how fast this machine is.
      const { exporter } = await startLoggingExporter([hostileTarget(hostile)], { intervalSeconds: 30, timeoutSeconds: 3 }, false, 3600);
      try {
        const calls = await Promise.all(
          Array.from({ length: 16 }, async (_, client) => {
            const statuses: number[] = [];
            for (let i = 0; i < 10; i++) {
              const operation = (client + i) % 2 ? 'getCustomer' : 'getCustomerUsage';
              const res = await scrape(exporter, `/probe?target=default&operation=${operation}`);
              statuses.push(res.status);
              expect(sampleValue(res.text, 'probe_success', { operation, target: 'default' }), 'every answer is a real result').toBe(1);
            }
            return statuses;
          }),
        );
        expect(calls.flat().length).toBe(160);
        test.info().annotations.push({ type: 'measured', description: `160 /probe calls → ${hostile.requests.length} request(s) to the API` });
        expect(hostile.requests.length, 'one GET per operation').toBe(2);
        const debug = await scrape(exporter, '/probe?target=default&operation=getCustomer&debug=true');
        expect(debug.text).toMatch(/reusing the probe of default\/getCustomer that finished \d+ ms ago/);
        expect(hostile.requests.length).toBe(2);
      } finally {
        await exporter.stop();
      }
    });
  });

  test('by default /probe reuses a result younger than 10 s (or the interval): two calls in a row are one request', async () => {
    await withHostile('faithful', async (hostile) => {
      const exporter = await startExporter({
        targets: [hostileTarget(hostile)],
        settings: { intervalSeconds: 30 },
        port: 0,
        defaultMetrics: false,
        scheduled: false,
        log: () => undefined,
      });
      try {
        for (let i = 0; i < 2; i++) expect((await scrape(exporter, '/probe?target=default&operation=getCustomer')).status).toBe(200);
        expect(hostile.requests.length).toBe(1);
      } finally {
        await exporter.stop();
      }
    });
  });

  test('a scheduled probe and /probe of the same pair share one request; a joiner with a shorter deadline gets its own timeout', async () => {
    await withHostile('slow-headers', async (hostile) => {
      const { exporter } = await startLoggingExporter([hostileTarget(hostile)], { intervalSeconds: 30, timeoutSeconds: 3, jitterSeconds: 0 });
      try {
        // The scheduled probes start at once (no jitter) and hang for 3 s.
        await eventually('scheduled probes in flight', () => exporter.runner.states().every((s) => s.inFlight));
        const joined = await scrape(exporter, '/probe?target=default&operation=getCustomer&debug=true', { 'X-Prometheus-Scrape-Timeout-Seconds': '1' });
        expect(joined.status).toBe(200);
        expect(joined.text).toContain('joining the probe of default/getCustomer in flight');
        expect(joined.text).toContain('failure reason=timeout');
        expect(
          hostile.requests.filter((r) => !r.url.endsWith('/usage')),
          'one request for getCustomer',
        ).toHaveLength(1);
        await eventually('the scheduled probe ends with its own timeout', () => exporter.runner.states().every((s) => s.last?.reason === 'timeout'), 15_000);
      } finally {
        await exporter.stop();
      }
    });
  });
});

test.describe('memory stays bounded against hostile bodies', () => {
  /** Peak and current resident set of a process, from /proc (Linux), in bytes. */
  function residentBytes(pid: number): { peak: number; now: number } {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { peak: kib('VmHWM'), now: kib('VmRSS') };
  }

  for (const mode of ['endless-body', 'gzip-bomb'] as const) {
    test(`${mode}: probes fail cleanly and the exporter's peak RSS stays under 300 MB`, async () => {
      test.skip(!fs.existsSync('/proc/self/status'), 'reads /proc/<pid>/status (Linux)');
      await withHostile(mode, async (hostile) => {
        const primary = customerWithRole(hostile.customers, 'primary');
        // The exporter alone in a child process, so the figure is its own (not the test runner's or the target's).
        const child = startProcess(...tsxCommand('tests/helpers/hostile-exporter-child.ts'), {
          env: {
            EXPORTER_CHILD_SPEC: JSON.stringify({ baseUrl: hostile.baseUrl, customerId: primary.id, settings: roomySettings }),
            EXPORTER_CHILD_TOKEN: primary.token,
          },
          // It lives as long as the test; the test's own timeout bounds it.
          failAfterMs: 10 * 60_000,
        });
        try {
          const url = (await child.waitFor(/"url":"([^"]+)"/))[1]!;
          const exporter = { url };
          const counts = async (): Promise<string | undefined> => {
            const { text } = await scrape(exporter);
            return [op, usage].every((labels) => (sampleValue(text, 'customer_api_probes_total', labels) ?? 0) >= 8) ? text : undefined;
          };
          await eventually('eight probes of each operation', counts, 60_000);
          // And a burst of on-scrape probes on top (single-flight keeps them to one request per pair).
          await Promise.all(
            Array.from({ length: 20 }, (_, i) => scrape(exporter, `/probe?target=default&operation=${i % 2 ? 'getCustomer' : 'getCustomerUsage'}`)),
          );
          // endless: the 1 MiB cap (other); gzip-bomb: never inflated, so its compressed bytes are not JSON (contract).
          const reason = mode === 'endless-body' ? 'other' : 'contract';
          const { text } = await scrape(exporter);
          for (const labels of [op, usage]) {
            expect(
              sampleValue(text, 'customer_api_probe_failures_total', { ...labels, reason }),
              `${labels.operation} fails as ${reason}`,
            ).toBeGreaterThanOrEqual(1);
            expect(sampleValue(text, 'probe_success', labels)).toBe(0);
            expect(sampleValue(text, 'customer_api_probes_total', labels), 'no success: every probe is a failure').toBe(failureReasonsTotal(text, labels));
          }
          const rss = residentBytes(child.child.pid!);
          test.info().annotations.push({
            type: 'measured',
            description: `exporter child: peak RSS ${(rss.peak / mib).toFixed(0)} MiB, now ${(rss.now / mib).toFixed(0)} MiB`,
          });
          expect(rss.peak, 'peak RSS of the exporter process (VmHWM)').toBeLessThan(300 * 1000 * 1000);
        } finally {
          await child.stop();
        }
      });
    });
  }
});

function failureReasonsTotal(text: string, labels: Record<string, string>): number {
  return ['timeout', 'connect', 'tls', 'http_5xx', 'auth', 'not_found', 'throttled', 'contract', 'other'].reduce(
    (sum, reason) => sum + (sampleValue(text, 'customer_api_probe_failures_total', { ...labels, reason }) ?? 0),
    0,
  );
}
