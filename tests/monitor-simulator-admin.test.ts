// The simulator's modes reach `npm run monitor`: SIMULATOR_MODE for its embedded simulator, and POST /admin/mode (SIMULATOR_ADMIN=1, loopback only) at run time.
import http from 'node:http';
import os from 'node:os';
import { expect, test } from '@playwright/test';
import { startSimulator } from '../simulator/server';
import { runExporterCommand, startExporterCli } from './helpers/exporter-cli';
import type { CollectingProcess } from './helpers/processes';
import { eventually, sampleValue } from './helpers/monitor-harness';

const op = { operation: 'getCustomer', target: 'default' };
const quickProbes = { MONITOR_PORT: '0', MONITOR_HOST: '127.0.0.1', PROBE_INTERVAL_SECONDS: '0.5', PROBE_TIMEOUT_SECONDS: '0.45' };

/** `npm run monitor` with these variables, its port and its embedded simulator's origin read from the start line. */
async function startMonitor(env: Record<string, string>): Promise<{ process: CollectingProcess; url: string; simulatorOrigin: string; startLine: string }> {
  const started = await startExporterCli(
    { ...quickProbes, ...env },
    /listening on [\d.]+:(\d+) .*embedded simulator at (http:\/\/127\.0\.0\.1:\d+)\/v2\/integrations.*\n/,
  );
  return { process: started.process, url: started.url, simulatorOrigin: started.startLine[2]!, startLine: started.startLine[0] };
}

async function metricsWhen(url: string, what: string, ready: (text: string) => boolean): Promise<string> {
  return eventually(
    what,
    async () => {
      const text = await (await fetch(`${url}/metrics`)).text();
      return ready(text) ? text : undefined;
    },
    30_000,
  );
}

function postMode(origin: string, body: string, contentType = 'application/x-www-form-urlencoded'): Promise<Response> {
  return fetch(`${origin}/admin/mode`, { method: 'POST', headers: { 'content-type': contentType }, body });
}

test.describe('SIMULATOR_MODE and SIMULATOR_ADMIN in npm run monitor', () => {
  test('SIMULATOR_MODE picks the embedded simulator\'s mode: retyped-field fails as reason="contract"; the start line names the simulator', async () => {
    const monitor = await startMonitor({ SIMULATOR_MODE: 'retyped-field' });
    try {
      expect(monitor.startLine, 'the simulator address and mode').toMatch(
        /embedded simulator at http:\/\/127\.0\.0\.1:\d+\/v2\/integrations \(SIMULATOR_MODE retyped-field; SIMULATOR_ADMIN=1 lets you switch/,
      );
      const text = await metricsWhen(
        monitor.url,
        'a contract failure',
        (t) => (sampleValue(t, 'customer_api_probe_failures_total', { ...op, reason: 'contract' }) ?? 0) >= 1,
      );
      expect(sampleValue(text, 'probe_http_status_code', op), 'a 200 whose body breaks the contract').toBe(200);
      const admin = await postMode(monitor.simulatorOrigin, 'mode=faithful');
      expect(admin.status, 'without SIMULATOR_ADMIN=1 there is no /admin/mode').toBe(404);
    } finally {
      await monitor.process.stop();
    }
  });

  test('SIMULATOR_ADMIN=1: POST /admin/mode switches the running simulator, and the monitor sees the break and the recovery', async () => {
    const monitor = await startMonitor({ SIMULATOR_ADMIN: '1' });
    try {
      expect(monitor.startLine, 'how to switch, with the address').toContain(`curl -X POST ${monitor.simulatorOrigin}/admin/mode -d mode=NAME`);
      await metricsWhen(monitor.url, 'a success', (t) => sampleValue(t, 'probe_success', op) === 1);

      const retyped = await postMode(monitor.simulatorOrigin, 'mode=retyped-field');
      expect(retyped.status).toBe(200);
      expect(await retyped.json()).toEqual({ mode: 'retyped-field', previous: 'faithful' });
      await metricsWhen(
        monitor.url,
        'a contract failure after the switch',
        (t) => (sampleValue(t, 'customer_api_probe_failures_total', { ...op, reason: 'contract' }) ?? 0) >= 1,
      );

      const unknown = await postMode(monitor.simulatorOrigin, 'mode=no-such-mode');
      expect(unknown.status, 'an unknown mode is refused').toBe(400);
      expect(await unknown.text()).toMatch(/"no-such-mode" is not a simulator mode: send mode=NAME, one of faithful, /);
      expect((await postMode(monitor.simulatorOrigin, '{"mode": ', 'application/json')).status, "a malformed body is the caller's mistake").toBe(400);

      const faithful = await postMode(monitor.simulatorOrigin, JSON.stringify({ mode: 'faithful' }), 'application/json');
      expect(await faithful.json(), 'JSON works too; the unknown mode changed nothing').toEqual({ mode: 'faithful', previous: 'retyped-field' });
      await metricsWhen(monitor.url, 'a success after the recovery', (t) => sampleValue(t, 'probe_success', op) === 1);
    } finally {
      await monitor.process.stop();
    }
  });

  test('a SIMULATOR_MODE or SIMULATOR_ADMIN that is not valid stops startup with one line; with API_BASE_URL they are named as ignored', async () => {
    const bad = await runExporterCommand({ env: { ...quickProbes, SIMULATOR_MODE: 'retyped' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n'), 'one line').toHaveLength(1);
    expect(bad.stderr).toMatch(/SIMULATOR_MODE "retyped" is not a simulator mode: use one of faithful, .*retyped-field/);
    const badFlag = await runExporterCommand({ env: { ...quickProbes, SIMULATOR_ADMIN: 'yes' } });
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/SIMULATOR_ADMIN must be 1\/true or 0\/false, not "yes"/);

    const sim = await startSimulator();
    try {
      const primary = sim.customer('primary');
      const run = await runExporterCommand({
        env: { ...quickProbes, API_BASE_URL: sim.baseUrl, API_CUSTOMER_ID: primary.id, API_TOKEN: primary.token, SIMULATOR_MODE: 'slow' },
        until: /listening on .*\n/,
      });
      expect(run.matched, run.stderr).toBe(true);
      expect(run.stderr, 'not silently ignored').toContain('SIMULATOR_MODE ignored: no embedded simulator with API_BASE_URL');
    } finally {
      await sim.stop();
    }
  });
});

test.describe('POST /admin/mode on the simulator', () => {
  test('is off unless asked for, answers before latency and faults, and is not counted as an API request', async () => {
    const off = await startSimulator();
    const on = await startSimulator({ admin: true, mode: 'slow' });
    try {
      const origin = (baseUrl: string): string => new URL(baseUrl).origin;
      expect((await postMode(origin(off.baseUrl), 'mode=slow')).status, 'off by default').toBe(404);
      expect(off.mode).toBe('faithful');
      const before = on.requestCount();
      // 'slow' delays every API answer by 15 s: the admin route is not the API and answers at once.
      const res = await postMode(origin(on.baseUrl), 'mode=error-rate');
      expect(res.status).toBe(200);
      expect(on.mode).toBe('error-rate');
      expect((await postMode(origin(on.baseUrl), 'mode=faithful')).status, 'error-rate does not fail the admin route').toBe(200);
      expect(on.requestCount(), 'admin calls are not API requests').toBe(before);
    } finally {
      await off.stop();
      await on.stop();
    }
  });

  test('refuses a caller that is not on this machine (403), and changes nothing', async () => {
    const external = Object.values(os.networkInterfaces())
      .flat()
      .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;
    test.skip(external === undefined, 'this machine has no non-loopback IPv4 address to call from');
    const sim = await startSimulator({ admin: true, host: '0.0.0.0' });
    try {
      // From the machine's own non-loopback address: to the simulator that is a remote caller.
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request(
          {
            host: external,
            port: sim.port,
            path: '/admin/mode',
            method: 'POST',
            localAddress: external,
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
          },
          (res) => {
            let body = '';
            res.on('data', (chunk: Buffer) => (body += chunk.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on('error', reject);
        req.end('mode=retyped-field');
      });
      expect(answer.status).toBe(403);
      expect(answer.body).toContain('loopback');
      expect(sim.mode, 'the mode is unchanged').toBe('faithful');
      expect((await postMode(`http://127.0.0.1:${sim.port}`, 'mode=retyped-field')).status, 'the same call from loopback works').toBe(200);
    } finally {
      await sim.stop();
    }
  });
});
