// The real-target path over HTTPS, as production will be: the gate and the exporter against a TLS endpoint with its own CA.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { createSimulatorApp, SimulatorState } from '../simulator/server';
import { sampleValue } from '../tools/exposition';
import { startProcess, tsxCommand } from './helpers/processes';
import { remoteTargetEnv, repoRoot, runGate } from './helpers/run-gate';

/** A self-signed certificate for 127.0.0.1, made with openssl; its file doubles as the CA the client trusts. */
function selfSignedCertificate(dir: string): { key: string; cert: string; certFile: string } {
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  return { key: fs.readFileSync(keyFile, 'utf8'), cert: fs.readFileSync(certFile, 'utf8'), certFile };
}

test('the gate and the exporter work against an HTTPS target (with NODE_EXTRA_CA_CERTS), and refuse an untrusted one clearly', async () => {
  test.setTimeout(90_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'https-target-'));
  const { key, cert, certFile } = selfSignedCertificate(dir);
  const state = new SimulatorState();
  const server = https.createServer({ key, cert }, createSimulatorApp(state));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}/v2/integrations`;
  const env = remoteTargetEnv(baseUrl, state.customers);
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
      const exporter = startProcess(...tsxCommand('monitors/exporter/cli.ts'), {
        env: {
          NODE_EXTRA_CA_CERTS: certFile,
          ...env,
          API_ALLOW_DELETE: '0',
          MONITOR_PORT: '0',
          MONITOR_HOST: '127.0.0.1',
          PROBE_INTERVAL_SECONDS: '1',
          PROBE_TIMEOUT_SECONDS: '0.9',
        },
      });
      try {
        const port = (await exporter.waitFor(/listening on [\d.]+:(\d+)/, 'stderr'))[1];
        const op = { operation: 'getCustomer', target: 'default' };
        const metrics = async (): Promise<string> => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        await expect.poll(async () => sampleValue(await metrics(), 'probe_success', op), { timeout: 15_000 }).toBe(1);
        const tls = sampleValue(await metrics(), 'probe_http_duration_seconds', { ...op, phase: 'tls' });
        expect(tls, 'the TLS handshake is measured').toBeGreaterThan(0);
      } finally {
        await exporter.stop();
      }
    });
  } finally {
    server.closeAllConnections();
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
