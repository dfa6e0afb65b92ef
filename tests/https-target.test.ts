// The real-target path over HTTPS, as production will be: the gate and the exporter against a TLS endpoint with its own CA.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { sampleValue } from '../tools/exposition';
import { startExporterCli } from './helpers/exporter-cli';
import { remoteTargetEnv, repoRoot, runGate } from './helpers/run-gate';
import { selfSignedCertificate, startHttpsSimulator } from './helpers/tls';

test('the gate and the exporter work against an HTTPS target (with NODE_EXTRA_CA_CERTS), and refuse an untrusted one clearly', async () => {
  test.setTimeout(0);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'https-target-'));
  // Self-signed for 127.0.0.1: its file doubles as the CA the client trusts.
  const { key, cert, certFile } = selfSignedCertificate(dir, 'server', { commonName: '127.0.0.1', days: 1, loopback: true });
  const server = await startHttpsSimulator(key, cert);
  const env = remoteTargetEnv(server.baseUrl, server.state.customers);
  try {
    await test.step('the gate passes over TLS when the CA is trusted', async () => {
      const run = await runGate({ env: { ...env, NODE_EXTRA_CA_CERTS: certFile }, reportsDir: path.join(repoRoot, 'reports', 'self-test', 'https-trusted') });
      expect(run.exitCode, run.failureText || run.stderr).toBe(0);
      expect(run.results?.stats.expected).toBeGreaterThan(20);
    });
    await test.step('an untrusted certificate stops the run with one line', async () => {
      const run = await runGate({ env, reportsDir: path.join(repoRoot, 'reports', 'self-test', 'https-untrusted') });
      expect(run.exitCode).toBe(2);
      expect(run.stderr).toMatch(/^error: cannot reach API_BASE_URL https:\/\/127\.0\.0\.1:\d+\/v2\/integrations \(.*(self[- ]signed|certificate).*\)/im);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    });
    await test.step('the exporter probes over TLS and measures the tls phase', async () => {
      const { process: exporter, url } = await startExporterCli({
        NODE_EXTRA_CA_CERTS: certFile,
        ...env,
        API_ALLOW_DELETE: '0',
        // Generous, so a busy machine does not time the probe out; the first probe starts at once all the same.
        PROBE_INTERVAL_SECONDS: '10',
        PROBE_TIMEOUT_SECONDS: '9',
      });
      try {
        const op = { operation: 'getCustomer', target: 'default' };
        const metrics = async (): Promise<string> => (await fetch(`${url}/metrics`)).text();
        // Waits for the first probe to finish however long a busy machine takes (no limit of its own; the test's limit is
        // lifted), then judges it: a failed probe fails here rather than being polled past.
        await expect.poll(async () => (sampleValue(await metrics(), 'customer_api_last_probe_timestamp_seconds', op) ?? 0) > 0, { timeout: 0 }).toBe(true);
        expect(sampleValue(await metrics(), 'probe_success', op), 'the first probe over TLS succeeds').toBe(1);
        const tls = sampleValue(await metrics(), 'probe_http_duration_seconds', { ...op, phase: 'tls' });
        expect(tls, 'the TLS handshake is measured').toBeGreaterThan(0);
      } finally {
        await exporter.stop();
      }
    });
  } finally {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
