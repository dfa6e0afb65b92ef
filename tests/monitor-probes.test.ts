// The exporter names each way the API can fail with the right reason, keeps probing, and recovers when the API does.
import { expect, test } from '@playwright/test';
import { startSimulator, type RunningSimulator } from '../simulator/server';
import type { SimulatorMode } from '../simulator/modes';
import type { RunningExporter } from '../monitors/exporter/server';
import {
  closedPort,
  eventually,
  sampleValue,
  scrape,
  simulatorTarget,
  startQuietExporter,
  startRawServer,
  withProbedSimulator,
  type RawServer,
} from './helpers/monitor-harness';

const op = { operation: 'getCustomer', target: 'default' };

/** Waits until the last getCustomer probe matches, and returns the /metrics text at that point. */
async function lastProbe(exporter: RunningExporter, success: 0 | 1, reason?: string): Promise<string> {
  return eventually(`probe_success ${success}${reason ? ` with reason ${reason}` : ''}`, async () => {
    const state = exporter.runner.states().find((s) => s.operation === 'getCustomer');
    if (!state?.last || (state.last.success ? 1 : 0) !== success || (reason !== undefined && state.last.reason !== reason)) return undefined;
    const { text } = await scrape(exporter);
    return sampleValue(text, 'probe_success', op) === success ? text : undefined;
  });
}

async function probesSoFar(exporter: RunningExporter): Promise<number> {
  return sampleValue((await scrape(exporter)).text, 'customer_api_probes_total', op) ?? 0;
}

test.describe('failure reasons against simulator modes', () => {
  const cases: ReadonlyArray<{ mode: SimulatorMode; reason: string; status: number; errorRate?: number }> = [
    // Mode defaults only: a latencyMs/errorRate option would outlive setMode('faithful').
    { mode: 'slow', reason: 'timeout', status: 0 },
    // errorRate 1: every call fails (the mode's default 0.5 alternates across both operations).
    { mode: 'error-rate', reason: 'http_5xx', status: 500, errorRate: 1 },
    { mode: 'malformed-json', reason: 'contract', status: 200 },
    { mode: 'retyped-field', reason: 'contract', status: 200 },
    // oversized-body has its own test below, with room for the simulator to build 5 MiB.
  ];
  for (const c of cases) {
    test(`${c.mode} fails as reason="${c.reason}", keeps probing, and recovers when the mode is faithful`, async () => {
      let sim = await startSimulator({ mode: c.mode, errorRate: c.errorRate });
      const exporter = await startQuietExporter([simulatorTarget(sim)]);
      try {
        const failing = await lastProbe(exporter, 0, c.reason);
        expect(
          sampleValue(failing, 'customer_api_probe_failures_total', { ...op, reason: c.reason }),
          'the reason counter counts the failure',
        ).toBeGreaterThanOrEqual(1);
        expect(sampleValue(failing, 'probe_http_status_code', op), 'status code of the failed probe').toBe(c.status);
        // No other reason is ever counted, except a timeout: on a loaded machine a 0.2 s probe may time out, which says
        // nothing about how the mode's answer is classified.
        for (const other of ['connect', 'tls', 'http_5xx', 'auth', 'not_found', 'throttled', 'contract', 'other'].filter((r) => r !== c.reason)) {
          expect(sampleValue(failing, 'customer_api_probe_failures_total', { ...op, reason: other }), `reason ${other} stays 0`).toBe(0);
        }
        const before = await probesSoFar(exporter);
        await eventually('more probes while failing', async () => (await probesSoFar(exporter)) >= before + 2);
        if (c.errorRate === undefined) {
          sim.setMode('faithful');
        } else {
          // An errorRate option outlives setMode: recover by restarting the API on the same port.
          const { port, customers } = sim;
          await sim.stop();
          sim = await startSimulator({ port, tokens: Object.fromEntries(customers.map((x) => [x.id, x.token])) });
        }
        const recovered = await lastProbe(exporter, 1);
        expect(sampleValue(recovered, 'probe_http_status_code', op)).toBe(200);
      } finally {
        await exporter.stop();
        await sim.stop();
      }
    });
  }

  test('oversized-body fails as reason="other" where the read stops at the 1 MiB cap, in /metrics and /probe, and recovers', async () => {
    // The simulator builds and sends 5 MiB, which on a loaded machine can take longer than the 0.2 s of the cases above;
    // a timeout would say nothing about how a capped body is classified. With 60 s, the cap is always what ends the read.
    const sim = await startSimulator({ mode: 'oversized-body' });
    // No jitter: the first scheduled probe of each operation starts at once; the next ones would come in 2 minutes.
    const exporter = await startQuietExporter([simulatorTarget(sim)], { intervalSeconds: 120, timeoutSeconds: 60, jitterSeconds: 0 });
    try {
      const text = await eventually(
        'the first scheduled probe',
        async () => ((await probesSoFar(exporter)) >= 1 ? (await scrape(exporter)).text : undefined),
        90_000,
      );
      expect(sampleValue(text, 'probe_success', op)).toBe(0);
      expect(sampleValue(text, 'probe_http_status_code', op), 'the headers arrived: 200').toBe(200);
      for (const reason of ['timeout', 'connect', 'tls', 'http_5xx', 'auth', 'not_found', 'throttled', 'contract', 'other']) {
        expect(sampleValue(text, 'customer_api_probe_failures_total', { ...op, reason }), `reason ${reason}`).toBe(reason === 'other' ? 1 : 0);
      }
      expect(exporter.runner.states().find((s) => s.operation === 'getCustomer')?.last?.detail).toContain('larger than the 1048576-byte limit');
      // On scrape, twice (it keeps probing): the same reason, named by customer_api_probe_failed_due_to.
      for (let i = 0; i < 2; i++) {
        const probe = (await scrape(exporter, '/probe?target=default&operation=getCustomer')).text;
        expect(sampleValue(probe, 'probe_success', op)).toBe(0);
        expect(sampleValue(probe, 'customer_api_probe_failed_due_to', { ...op, reason: 'other' }), 'failed due to other').toBe(1);
        expect(sampleValue(probe, 'customer_api_probe_failed_due_to', { ...op, reason: 'timeout' }), 'not a timeout').toBe(0);
      }
      sim.setMode('faithful');
      const recovered = (await scrape(exporter, '/probe?target=default&operation=getCustomer')).text;
      expect(sampleValue(recovered, 'probe_success', op), 'recovers when the mode is faithful').toBe(1);
    } finally {
      await exporter.stop();
      await sim.stop();
    }
  });

  for (const [mode, status] of [
    ['faithful', 401],
    ['auth-403', 403],
  ] as const) {
    test(`${status} for a wrong token is reason="auth", not down`, async () => {
      await withProbedSimulator({ simulator: { mode }, target: { token: 'a-wrong-token-value' } }, async (_sim, exporter) => {
        const text = await lastProbe(exporter, 0, 'auth');
        expect(sampleValue(text, 'probe_http_status_code', op)).toBe(status);
      });
    });
  }

  test('an unknown customer is reason="not_found"', async () => {
    await withProbedSimulator({ target: { customerId: 'cust_does_not_exist' } }, async (_sim, exporter) => {
      const text = await lastProbe(exporter, 0, 'not_found');
      expect(sampleValue(text, 'probe_http_status_code', op)).toBe(404);
    });
  });

  test('undocumented properties are counted, and the probe still succeeds', async () => {
    await withProbedSimulator({ simulator: { mode: 'undocumented-field' } }, async (_sim, exporter) => {
      await lastProbe(exporter, 1);
      // Both operations must have been probed, so both gauges hold a body's count (an absent series would hide a miss).
      const usage = { ...op, operation: 'getCustomerUsage' };
      const text = await eventually('a successful probe of each operation', async () => {
        const { text: metrics } = await scrape(exporter);
        return sampleValue(metrics, 'probe_success', op) === 1 && sampleValue(metrics, 'probe_success', usage) === 1 ? metrics : undefined;
      });
      expect(sampleValue(text, 'customer_api_undocumented_properties', op), 'data.region is undocumented').toBe(1);
      expect(sampleValue(text, 'customer_api_undocumented_properties', usage), 'data.usage.recording_minutes is undocumented').toBe(1);
    });
  });

  test('429 is reason="throttled" and the exporter backs off for Retry-After instead of calling again', async () => {
    await withProbedSimulator({ simulator: { mode: 'rate-limited' } }, async (sim, exporter) => {
      // Whichever operation meets the 429 first throttles the whole target (one token, one quota); the other one's slot may
      // then be skipped without a call (throttled, status 0), so look for the one that got the 429.
      const throttled = await eventually('a throttled probe', () =>
        exporter.runner.states().find((s) => s.last?.reason === 'throttled' && s.last.statusCode === 429),
      );
      const { text } = await scrape(exporter);
      const labels = { operation: throttled.operation, target: 'default' };
      expect(sampleValue(text, 'probe_http_status_code', labels)).toBe(429);
      // Slots skipped while backing off count as throttled too (so the rate-based alerts see the blind spell).
      expect(sampleValue(text, 'customer_api_probe_failures_total', { ...labels, reason: 'throttled' })).toBeGreaterThanOrEqual(1);
      const calls = sim.requestCount();
      // At one probe per 0.25 s per operation, 1.5 s would be ~12 calls; Retry-After: 30 means none.
      await new Promise((r) => setTimeout(r, 1_500));
      expect(sim.requestCount(), 'no calls to the API during Retry-After').toBe(calls);
      expect(calls, 'one 429 per operation, then silence').toBeLessThanOrEqual(2);
      const onDemand = await scrape(exporter, '/probe?target=default&operation=getCustomer&debug=true');
      expect(onDemand.text, '/probe also honours the backoff').toContain('backing off');
      expect(sim.requestCount()).toBe(calls);
    });
  });
});

test.describe('failure reasons against a broken network', () => {
  test('a refused connection is reason="connect"; probing resumes when the API comes up on that port', async () => {
    const port = await closedPort();
    const placeholder = await startSimulator();
    const target = simulatorTarget(placeholder, { baseUrl: `http://127.0.0.1:${port}/v2/integrations` });
    await placeholder.stop();
    const exporter = await startQuietExporter([target]);
    let sim: RunningSimulator | undefined;
    try {
      const text = await lastProbe(exporter, 0, 'connect');
      expect(sampleValue(text, 'probe_http_status_code', op), 'no response: status 0').toBe(0);
      const primary = placeholder.customer('primary');
      sim = await startSimulator({ port, tokens: { [primary.id]: primary.token } });
      await lastProbe(exporter, 1);
    } finally {
      await exporter.stop();
      await sim?.stop();
    }
  });

  const broken: ReadonlyArray<{ behaviour: 'reset' | 'close-after-headers' | 'endless-chunked'; reason: string; status: number }> = [
    { behaviour: 'reset', reason: 'connect', status: 0 },
    { behaviour: 'close-after-headers', reason: 'other', status: 200 },
    // No Content-Length: the streaming cap (PROBE_BODY_LIMIT_BYTES) ends it, before the 0.2 s timeout.
    { behaviour: 'endless-chunked', reason: 'other', status: 200 },
  ];
  for (const b of broken) {
    test(`a server that does "${b.behaviour}" fails as reason="${b.reason}" and the exporter keeps probing`, async () => {
      const raw: RawServer = await startRawServer(b.behaviour);
      const sim = await startSimulator();
      const exporter = await startQuietExporter([simulatorTarget(sim, { baseUrl: raw.baseUrl })]);
      try {
        const text = await lastProbe(exporter, 0, b.reason);
        expect(sampleValue(text, 'probe_http_status_code', op)).toBe(b.status);
        const before = raw.requests.length;
        await eventually('more probes reach the broken server', () => raw.requests.length >= before + 2);
      } finally {
        await exporter.stop();
        await raw.stop();
        await sim.stop();
      }
    });
  }
});

// The overhead itself is a figure, not a pass mark (it depends on the machine's load): `npm run bench` compares it with
// blackbox_exporter's. Here: the duration includes the API's latency, and every phase of a plain-HTTP probe is measured.
test('the probe duration includes the API latency, and every phase is measured', async () => {
  const sim = await startSimulator({ latencyMs: 50 });
  const exporter = await startQuietExporter([simulatorTarget(sim)], { intervalSeconds: 0.3, timeoutSeconds: 0.25, jitterSeconds: 0 });
  try {
    await eventually('10 probes', async () => (await probesSoFar(exporter)) >= 10);
    const text = await lastProbe(exporter, 1);
    const sum = sampleValue(text, 'customer_api_probe_duration_seconds_sum', op)!;
    const count = sampleValue(text, 'customer_api_probe_duration_seconds_count', op)!;
    test.info().annotations.push({
      type: 'measured',
      description: `mean probe duration ${((sum / count) * 1000).toFixed(1)} ms with 50 ms injected latency over ${count} probes`,
    });
    expect(sampleValue(text, 'probe_duration_seconds', op), 'the last probe took at least the injected latency').toBeGreaterThanOrEqual(0.05);
    const connect = sampleValue(text, 'probe_http_duration_seconds', { ...op, phase: 'connect' })!;
    const processing = sampleValue(text, 'probe_http_duration_seconds', { ...op, phase: 'processing' })!;
    expect(connect, 'a fresh connection per probe: connect is measured').toBeGreaterThan(0);
    expect(processing, 'processing holds the server latency').toBeGreaterThanOrEqual(0.049);
    expect(sampleValue(text, 'probe_http_duration_seconds', { ...op, phase: 'tls' }), 'plain http: no TLS phase').toBe(0);
  } finally {
    await exporter.stop();
    await sim.stop();
  }
});
