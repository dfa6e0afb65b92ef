// What a failed probe leaves behind: a success-only latency histogram with fine buckets around 0.5 s, throttled kept as
// 429 and its own state, the contract-violation info series (schema pointers only), and per-failure evidence (status
// page, /status.json, one JSON log line), never with the token.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test } from '@playwright/test';
import { Secret } from '../config/secret';
import type { ProbeTarget } from '../monitors/exporter/config';
import { startExporter, type RunningExporter } from '../monitors/exporter/server';
import type { StatusReport } from '../monitors/exporter/status-page';
import { startSimulator } from '../simulator/server';
import { eventually, sampleValue, scrape } from './helpers/monitor-harness';

const token = 'tok_EVIDENCE_secret_0123456789abcdef';
const customerId = 'cust_evidence1';
const op = { operation: 'getCustomer', target: 'default' };

/** A loopback API whose every answer the test sets: status, headers, body; it counts requests. */
interface ScriptedApi {
  baseUrl: string;
  answer: { status: number; headers: Record<string, string>; body: string };
  requests: number;
  stop(): Promise<void>;
}

async function startScriptedApi(answer: ScriptedApi['answer']): Promise<ScriptedApi> {
  const api = { answer, requests: 0 } as ScriptedApi;
  const server = http.createServer((_req, res) => {
    api.requests += 1;
    res.writeHead(api.answer.status, { 'content-type': 'application/json', ...api.answer.headers });
    res.end(api.answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  api.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  api.stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return api;
}

function target(baseUrl: string): ProbeTarget {
  return { name: 'default', baseUrl, customerId, tokenSource: { kind: 'value', token: new Secret(token) }, authScheme: 'Bearer' };
}

/** A documented getCustomer body, as the faithful simulator serves it. */
async function faithfulCustomerBody(): Promise<Record<string, unknown>> {
  const sim = await startSimulator();
  try {
    const primary = sim.customer('primary');
    const res = await fetch(`${sim.baseUrl}/${primary.id}`, { headers: { authorization: `Bearer ${primary.token}` } });
    return (await res.json()) as Record<string, unknown>;
  } finally {
    await sim.stop();
  }
}

async function withExporter(api: ScriptedApi, body: (exporter: RunningExporter, failureLines: string[]) => Promise<void>): Promise<void> {
  const failureLines: string[] = [];
  const exporter = await startExporter({
    targets: [target(api.baseUrl)],
    // A roomy timeout: a loaded machine must not turn these answers into timeouts.
    settings: { intervalSeconds: 0.5, timeoutSeconds: 0.45, jitterSeconds: 0.02 },
    port: 0,
    defaultMetrics: false,
    log: () => undefined,
    failureLog: (line) => failureLines.push(line),
  });
  try {
    await body(exporter, failureLines);
  } finally {
    await exporter.stop();
  }
}

const probesOf = (text: string): number => sampleValue(text, 'customer_api_probes_total', op) ?? 0;

test('failed probes do not enter the latency histogram; the buckets are fine around 0.5 s; probe_duration_seconds keeps every probe', async () => {
  const api = await startScriptedApi({ status: 500, headers: {}, body: '{"success":false,"error":"boom"}' });
  try {
    await withExporter(api, async (exporter) => {
      const text = await eventually('three failed probes', async () => {
        const t = (await scrape(exporter)).text;
        return probesOf(t) >= 3 ? t : undefined;
      });
      expect(sampleValue(text, 'customer_api_probe_failures_total', { ...op, reason: 'http_5xx' })).toBeGreaterThanOrEqual(3);
      expect(sampleValue(text, 'customer_api_probe_duration_seconds_count', op), 'no failed probe is observed').toBe(0);
      expect(sampleValue(text, 'customer_api_probe_duration_seconds_bucket', { ...op, le: '0.5' }), 'nothing counts as fast').toBe(0);
      for (const le of ['0.3', '0.4', '0.45', '0.5', '0.55', '0.6', '0.75', '1']) {
        expect(sampleValue(text, 'customer_api_probe_duration_seconds_bucket', { ...op, le }), `bucket le=${le}`).toBe(0);
      }
      expect(sampleValue(text, 'probe_duration_seconds', op), 'the last probe still has its duration').toBeGreaterThan(0);
      // A success is observed.
      api.answer = { status: 200, headers: {}, body: JSON.stringify(await faithfulCustomerBody()) };
      const ok = await eventually('a success observed', async () => {
        const t = (await scrape(exporter)).text;
        return (sampleValue(t, 'customer_api_probe_duration_seconds_count', op) ?? 0) >= 1 ? t : undefined;
      });
      expect(sampleValue(ok, 'probe_success', op)).toBe(1);
    });
  } finally {
    await api.stop();
  }
});

test('throttled: probe_http_status_code stays 429 while backing off, THROTTLED on the page, left out of the success ratio, and "Retry-After" only when sent', async () => {
  const api = await startScriptedApi({ status: 429, headers: {}, body: '{"success":false,"error":"slow down"}' });
  try {
    await withExporter(api, async (exporter) => {
      // Without Retry-After the exporter backs off on its own (one interval, doubling): slots in between send nothing.
      const text = await eventually('a throttled slot skipped while backing off', async () => {
        const t = (await scrape(exporter)).text;
        return probesOf(t) > api.requests / 2 + 1 ? t : undefined;
      });
      expect(sampleValue(text, 'probe_http_status_code', op), '429, not 0 ("no response")').toBe(429);
      expect(sampleValue(text, 'customer_api_probe_failures_total', { ...op, reason: 'throttled' })).toBeGreaterThanOrEqual(2);
      const report = (await (await fetch(`${exporter.url}/status.json`)).json()) as StatusReport;
      const row = report.probes.find((p) => p.operation === 'getCustomer')!;
      expect(row.status).toBe('throttled');
      expect(row.successRatio.lastHour.ratio, 'throttled probes say nothing about health: no ratio').toBeNull();
      expect(row.successRatio.lastHour.throttled).toBe(row.successRatio.lastHour.probes);
      const page = (await scrape(exporter, '/')).text;
      expect(page).toContain('THROTTLED');
      expect(row.retryAfterSeconds).toBeNull();
      // The backoff may have ended between the two requests: the note is only there while backing off.
      if (page.includes('not calling the API for')) expect(page).toContain('HTTP 429 without Retry-After');
      expect(page, 'no Retry-After claimed when none was sent').not.toContain('HTTP 429, Retry-After');

      api.answer = { ...api.answer, headers: { 'retry-after': '120' } };
      const said = await eventually('a Retry-After read', async () => {
        const r = (await (await fetch(`${exporter.url}/status.json`)).json()) as StatusReport;
        return r.probes.find((p) => p.retryAfterSeconds === 120);
      });
      expect(said.status).toBe('throttled');
      expect((await scrape(exporter, '/')).text).toContain('(HTTP 429, Retry-After 120 s)');
    });
  } finally {
    await api.stop();
  }
});

test('customer_api_contract_violation_info names the schema pointer, expected and observed; never a made-up property name; gone once the probe passes', async () => {
  const faithful = await faithfulCustomerBody();
  const data = faithful.data as Record<string, unknown>;
  const hostileName = 'evil\n} 1\nfake_metric{a="b';
  const broken = {
    ...faithful,
    data: {
      ...data,
      users_count: `${'x'.repeat(100)}\u001b[31m\r\n`,
      [hostileName]: { nested: 'undocumented, not a violation' },
    },
  };
  const api = await startScriptedApi({ status: 200, headers: {}, body: JSON.stringify(broken) });
  try {
    await withExporter(api, async (exporter, failureLines) => {
      const text = await eventually('a contract failure', async () => {
        const t = (await scrape(exporter)).text;
        return (sampleValue(t, 'customer_api_probe_failures_total', { ...op, reason: 'contract' }) ?? 0) >= 1 ? t : undefined;
      });
      const lines = text.split('\n').filter((l) => l.startsWith('customer_api_contract_violation_info{') && l.includes('operation="getCustomer"'));
      expect(lines.length).toBeGreaterThanOrEqual(1);
      expect(lines.length, 'bounded: at most 3 per target×operation').toBeLessThanOrEqual(3);
      const line = lines.find((l) => l.includes('pointer="/data/users_count"'));
      expect(line, `a series for /data/users_count in ${lines.join(' | ')}`).toBeTruthy();
      expect(line).toMatch(/expected="(integer|number)"/);
      const observed = /observed="((?:[^"\\]|\\.)*)"/.exec(line!)![1]!;
      expect(observed.length, 'observed is bounded').toBeLessThanOrEqual(64 + 8);
      expect(observed).not.toMatch(/[\u0000-\u001f]/);
      expect(text, 'the hostile property name is in no label').not.toContain('evil');
      expect(text).not.toContain('fake_metric');
      for (const l of lines) expect(/pointer="([^"]*)"/.exec(l)![1]).toMatch(/^(\/(data|success|error|\*|[a-z_]+))*$/);
      // The same series on /probe.
      const probe = (await scrape(exporter, '/probe?target=default&operation=getCustomer')).text;
      expect(probe).toContain('customer_api_contract_violation_info{');
      expect(probe).toContain('pointer="/data/users_count"');
      // The failure is logged as one JSON line.
      const logged = failureLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.reason === 'contract');
      expect(logged?.violations).toBeTruthy();

      api.answer = { ...api.answer, body: JSON.stringify({ ...faithful, data: { ...data, [hostileName]: 1 } }) };
      const passed = await eventually('the probe passes', async () => {
        const t = (await scrape(exporter)).text;
        return sampleValue(t, 'probe_success', op) === 1 ? t : undefined;
      });
      expect(
        passed.split('\n').filter((l) => l.startsWith('customer_api_contract_violation_info{') && l.includes('operation="getCustomer"')),
        'the series disappears when the probe passes (undocumented properties are not violations)',
      ).toEqual([]);
    });
  } finally {
    await api.stop();
  }
});

test('each failed probe is kept with its evidence (request, status, phases, redacted body excerpt) on /status.json and the page, and logged as one JSON line', async () => {
  const body = `{"success":false,"error":"upstream said ${token}\u001b]8;;x\u0007 ${'y'.repeat(1000)}"}`;
  const api = await startScriptedApi({ status: 503, headers: {}, body });
  try {
    await withExporter(api, async (exporter, failureLines) => {
      await eventually('failures recorded', () => exporter.runner.states().every((s) => s.probes >= 6));
      const report = (await (await fetch(`${exporter.url}/status.json`)).json()) as StatusReport;
      const row = report.probes.find((p) => p.operation === 'getCustomer')!;
      expect(row.failures.length, 'the last 5 failures').toBe(5);
      const f = row.failures[0]!;
      expect(f.request).toEqual({ method: 'GET', path: `/${customerId}` });
      expect(f.statusCode).toBe(503);
      expect(f.reason).toBe('http_5xx');
      expect(Object.keys(f.phases ?? {}).sort()).toEqual(['connect', 'processing', 'resolve', 'tls', 'transfer']);
      expect(f.bodyExcerpt).toContain('upstream said');
      expect(f.bodyExcerpt!.length).toBeLessThanOrEqual(256);
      expect(f.bodyExcerpt).not.toMatch(/[\u0000-\u001f]/);
      expect(f.bodyTruncated).toBe(true);
      const page = (await scrape(exporter, '/')).text;
      expect(page).toContain(`GET /${customerId}`);
      expect(page).toContain('failed probes');

      expect(failureLines.length).toBeGreaterThanOrEqual(5);
      // Both operations fail, in no fixed order: judge getCustomer's line.
      const lines = failureLines.map((l) => JSON.parse(l) as Record<string, unknown> & { request?: { path?: unknown } });
      const line = lines.find((l) => l.request?.path === `/${customerId}`);
      expect(line, `a line for GET /${customerId} among ${failureLines.length}`).toBeDefined();
      expect(line).toMatchObject({
        msg: 'probe failed',
        target: 'default',
        reason: 'http_5xx',
        status: 503,
        request: { method: 'GET', path: `/${customerId}` },
      });
      expect(failureLines.every((l) => !l.includes('\n'))).toBe(true);
      for (const text of [JSON.stringify(report), page, ...failureLines]) expect(text.includes(token), 'never the token').toBe(false);
      const last = exporter.runner.states().find((s) => s.operation === 'getCustomer')?.last;
      expect(last?.statusCode, last?.detail).toBe(503);
    });
  } finally {
    await api.stop();
  }
});
