// Certificate expiry and TLS version, blackbox style: HTTPS targets with short-lived certificates, in /metrics and /probe; the failure reason gauge.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { Secret } from '../config/secret';
import { failureReasons } from '../monitors/exporter/probers';
import { startSimulator } from '../simulator/server';
import { samplesOf } from '../tools/exposition';
import { startExporterCli } from './helpers/exporter-cli';
import { eventually, sampleValue, scrape, simulatorTarget, startQuietExporter } from './helpers/monitor-harness';
import { issuedCertificate, notAfterSeconds, selfSignedCertificate, startHttpsSimulator } from './helpers/tls';

const promtool = '/usr/bin/promtool';

/** Short-lived certificates for 127.0.0.1: a self-signed one (3 days), and a leaf (3 days) issued by a CA that expires first (2 days). */
function makeCertificates(dir: string): {
  selfSigned: { key: string; cert: string; file: string };
  chained: { key: string; chain: string; leafFile: string; caFile: string };
} {
  const self = selfSignedCertificate(dir, 'self', { commonName: '127.0.0.1', days: 3, loopback: true });
  const ca = selfSignedCertificate(dir, 'ca', { commonName: 'Short-lived test CA', days: 2 });
  const leaf = issuedCertificate(dir, 'leaf', ca, { commonName: '127.0.0.1', days: 3, loopback: true });
  return {
    selfSigned: { key: self.key, cert: self.cert, file: self.certFile },
    // The server sends its leaf and the CA, as a real server sends its intermediates.
    chained: { key: leaf.key, chain: `${leaf.cert}${ca.cert}`, leafFile: leaf.certFile, caFile: ca.certFile },
  };
}

function promtoolProblems(text: string): string {
  try {
    return execFileSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] }).trim();
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    return `${e.stdout ?? ''}${e.stderr ?? ''}`.trim() || 'promtool failed';
  }
}

test.describe('certificate expiry and TLS version', () => {
  let dir: string;
  let certs: ReturnType<typeof makeCertificates>;
  test.beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'monitor-certificate-'));
    certs = makeCertificates(dir);
  });
  test.afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('HTTPS targets: probe_ssl_earliest_cert_expiry is the earliest notAfter of the chain and probe_tls_version_info the version, in /metrics by target and in /probe', async () => {
    test.setTimeout(90_000);
    const selfSigned = await startHttpsSimulator(certs.selfSigned.key, certs.selfSigned.cert);
    const chained = await startHttpsSimulator(certs.chained.key, certs.chained.chain);
    const tokenFile = (name: string, token: string): string => {
      const file = path.join(dir, `${name}.token`);
      fs.writeFileSync(file, `${token}\n`);
      return file;
    };
    const targetsFile = path.join(dir, 'targets.yml');
    fs.writeFileSync(
      targetsFile,
      [
        'targets:',
        ...[
          { name: 'selfsigned', sim: selfSigned },
          { name: 'chained', sim: chained },
        ].flatMap(({ name, sim }) => [
          `  - name: ${name}`,
          `    base_url: ${sim.baseUrl}`,
          `    customer_id: ${sim.state.customer('primary').id}`,
          `    token_file: ${tokenFile(name, sim.state.customer('primary').token)}`,
        ]),
        '',
      ].join('\n'),
    );
    // The exporter trusts both roots the way production trusts a private CA: NODE_EXTRA_CA_CERTS, read at startup.
    const trusted = path.join(dir, 'trusted.pem');
    fs.writeFileSync(trusted, `${certs.selfSigned.cert}${fs.readFileSync(certs.chained.caFile, 'utf8')}`);
    const { process: exporter, url } = await startExporterCli({
      NODE_EXTRA_CA_CERTS: trusted,
      MONITOR_TARGETS_FILE: targetsFile,
      // Generous: a TLS handshake on a loaded machine may take a while, and nothing here is about speed.
      PROBE_INTERVAL_SECONDS: '2',
      PROBE_TIMEOUT_SECONDS: '1.9',
    });
    try {
      const expected = { selfsigned: notAfterSeconds(certs.selfSigned.file), chained: notAfterSeconds(certs.chained.caFile) };
      expect(notAfterSeconds(certs.chained.leafFile), 'the CA expires before the leaf it issued').toBeGreaterThan(expected.chained);
      for (const seconds of Object.values(expected)) {
        expect(seconds - Date.now() / 1000, 'short-lived: expires within 3 days').toBeLessThanOrEqual(3 * 86_400);
      }

      await test.step('/metrics: one series per target, equal to the notAfter', async () => {
        const text = await eventually(
          'a completed handshake with each target',
          async () => {
            const body = await (await fetch(`${url}/metrics`)).text();
            return Object.keys(expected).every((target) => sampleValue(body, 'probe_ssl_earliest_cert_expiry', { target }) !== undefined) ? body : undefined;
          },
          60_000,
        );
        expect(sampleValue(text, 'probe_ssl_earliest_cert_expiry', { target: 'selfsigned' }), 'the self-signed certificate: its own notAfter').toBe(
          expected.selfsigned,
        );
        expect(sampleValue(text, 'probe_ssl_earliest_cert_expiry', { target: 'chained' }), 'the chain: the CA, which expires before the leaf').toBe(
          expected.chained,
        );
        for (const target of Object.keys(expected)) {
          expect(samplesOf(text, 'probe_ssl_earliest_cert_expiry', { target }), 'labelled by target only').toEqual([
            { name: 'probe_ssl_earliest_cert_expiry', labels: { target }, value: expect.any(Number) },
          ]);
          expect(samplesOf(text, 'probe_tls_version_info', { target }), 'one version per target').toEqual([
            { name: 'probe_tls_version_info', labels: { target, version: 'TLS 1.3' }, value: 1 },
          ]);
        }
        if (fs.existsSync(promtool)) expect(promtoolProblems(text), 'promtool check metrics on /metrics').toBe('');
      });

      await test.step('/probe: the same figures from a fresh handshake, and customer_api_probe_failed_due_to all 0', async () => {
        const labels = { operation: 'getCustomer', target: 'chained' };
        const text = await eventually(
          'a successful on-scrape probe',
          async () => {
            const body = await (await fetch(`${url}/probe?target=chained&operation=getCustomer`)).text();
            return sampleValue(body, 'probe_success', labels) === 1 ? body : undefined;
          },
          60_000,
        );
        expect(sampleValue(text, 'probe_ssl_earliest_cert_expiry', labels)).toBe(expected.chained);
        expect(sampleValue(text, 'probe_tls_version_info', { ...labels, version: 'TLS 1.3' })).toBe(1);
        expect(
          samplesOf(text, 'customer_api_probe_failed_due_to', labels).map((s) => [s.labels.reason, s.value]),
          'every reason, all 0',
        ).toEqual(failureReasons.map((r) => [r, 0]));
        if (fs.existsSync(promtool)) expect(promtoolProblems(text), 'promtool check metrics on /probe').toBe('');
      });
    } finally {
      await exporter.stop();
      await selfSigned.stop();
      await chained.stop();
    }
  });

  test('an untrusted certificate fails as reason="tls" (customer_api_probe_failed_due_to), with no expiry: no handshake completed', async () => {
    const untrusted = await startHttpsSimulator(certs.selfSigned.key, certs.selfSigned.cert);
    const primary = untrusted.state.customer('primary');
    // In-process: this test runner does not trust the certificate (no NODE_EXTRA_CA_CERTS).
    const target = {
      name: 'default',
      baseUrl: untrusted.baseUrl,
      customerId: primary.id,
      tokenSource: { kind: 'value', token: new Secret(primary.token) },
      authScheme: 'Bearer',
    } as const;
    const exporter = await startQuietExporter([target], { intervalSeconds: 10, timeoutSeconds: 5 }, { scheduled: false });
    try {
      const labels = { operation: 'getCustomer', target: 'default' };
      const { text } = await scrape(exporter, '/probe?target=default&operation=getCustomer');
      expect(sampleValue(text, 'probe_success', labels)).toBe(0);
      const reasons: Record<string, number> = Object.fromEntries(
        samplesOf(text, 'customer_api_probe_failed_due_to', labels).map((s): [string, number] => [s.labels.reason ?? '', s.value]),
      );
      expect(reasons, '1 on tls, 0 on every other reason').toEqual(Object.fromEntries(failureReasons.map((r) => [r, r === 'tls' ? 1 : 0])));
      expect(text, 'blackbox semantics: no figure without a completed handshake').not.toContain('probe_ssl_earliest_cert_expiry');
      expect(text).not.toContain('probe_tls_version_info');
    } finally {
      await exporter.stop();
      await untrusted.stop();
    }
  });

  test('a plain-HTTP target has no TLS series; a contract failure is reason="contract" in customer_api_probe_failed_due_to', async () => {
    const sim = await startSimulator({ mode: 'retyped-field' });
    const exporter = await startQuietExporter([simulatorTarget(sim)], { intervalSeconds: 10, timeoutSeconds: 5, jitterSeconds: 0 });
    try {
      const labels = { operation: 'getCustomer', target: 'default' };
      await eventually('a scheduled probe of each operation', () => exporter.runner.states().every((s) => s.probes >= 1));
      const metrics = (await scrape(exporter)).text;
      const probe = (await scrape(exporter, '/probe?target=default&operation=getCustomer')).text;
      for (const text of [metrics, probe]) {
        expect(samplesOf(text, 'probe_ssl_earliest_cert_expiry'), 'no expiry without TLS').toEqual([]);
        expect(samplesOf(text, 'probe_tls_version_info'), 'no TLS version without TLS').toEqual([]);
      }
      expect(samplesOf(metrics, 'customer_api_probe_failed_due_to'), 'the reason gauge is /probe only: /metrics has the reason counter').toEqual([]);
      expect(sampleValue(probe, 'customer_api_probe_failed_due_to', { ...labels, reason: 'contract' })).toBe(1);
      expect(
        samplesOf(probe, 'customer_api_probe_failed_due_to', labels).filter((s) => s.value === 1),
        'one reason only',
      ).toHaveLength(1);
      expect(samplesOf(probe, 'customer_api_probe_failed_due_to', labels), 'all reasons present').toHaveLength(failureReasons.length);
    } finally {
      await exporter.stop();
      await sim.stop();
    }
  });
});
