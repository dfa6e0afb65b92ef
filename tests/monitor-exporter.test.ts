// The exporter's configuration, endpoints and safety properties: fail-fast config, /probe, GET only, no token leaks, promtool-clean output.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { loadExporterSettings, loadTargetsFile } from '../monitors/exporter/config';
import { httpGet } from '../monitors/exporter/http-get';
import { startSimulator } from '../simulator/server';
import { eventually, repoRoot, runExporterCli, sampleValue, scrape, simulatorTarget, startQuietExporter, startRawServer } from './helpers/monitor-harness';
import { startExporter } from '../monitors/exporter/server';
import { requireBinary } from './helpers/binaries';
import { startExporterCli } from './helpers/exporter-cli';
import { userError as userErrorOf } from './helpers/user-error';

const testdata = path.join(repoRoot, 'monitors/exporter/testdata');
const op = { operation: 'getCustomer', target: 'default' };

test.describe('configuration', () => {
  test('a valid targets file gives typed targets; a relative token_file is relative to the file', () => {
    const targets = loadTargetsFile(path.join(testdata, 'valid-targets.yml'), { SG1_CUSTOMER_TOKEN: 'x-token' });
    expect(targets.map((t) => t.name)).toEqual(['mum1', 'sg1_raw-token']);
    expect(targets[0]!.tokenSource).toEqual({ kind: 'file', path: path.join(testdata, 'example-token.txt') });
    expect(targets[1]!.tokenSource).toEqual({ kind: 'env', variable: 'SG1_CUSTOMER_TOKEN' });
    expect(targets[1]!.authScheme).toBe('none');
  });

  const invalid: ReadonlyArray<[file: string, mentions: string[]]> = [
    ['invalid-unknown-key.yml', ['invalid-unknown-key.yml', 'target "mum1"', 'key "tokenfile"', 'unknown key']],
    ['invalid-target-name.yml', ['invalid-target-name.yml', 'key "name"', '[a-z0-9_-]+']],
    ['invalid-two-token-sources.yml', ['invalid-two-token-sources.yml', 'target "mum1"', 'not both']],
    ['invalid-base-url.yml', ['invalid-base-url.yml', 'key "base_url"', 'not an http(s) URL']],
    ['invalid-top-level-key.yml', ['invalid-top-level-key.yml', 'unknown top-level key "interval"']],
  ];
  for (const [file, mentions] of invalid) {
    test(`${file} is rejected with one sentence naming file, target and key`, () => {
      const message = userErrorOf(() => loadTargetsFile(path.join(testdata, file), {}));
      for (const m of mentions) expect(message, `the message names ${m}`).toContain(m);
      expect(message, 'one line').not.toContain('\n');
    });
  }

  test('a token_env naming an unset variable is rejected at startup', () => {
    const message = userErrorOf(() => loadTargetsFile(path.join(testdata, 'valid-targets.yml'), {}));
    expect(message).toContain('SG1_CUSTOMER_TOKEN');
  });

  test('bad numbers, timeout ≥ interval and misspelt variables are rejected', () => {
    expect(userErrorOf(() => loadExporterSettings({ PROBE_INTERVAL_SECONDS: 'often' }))).toContain('PROBE_INTERVAL_SECONDS must be a number');
    expect(userErrorOf(() => loadExporterSettings({ PROBE_INTERVAL_SECONDS: '0' }))).toContain('greater than 0');
    expect(userErrorOf(() => loadExporterSettings({ PROBE_INTERVAL_SECONDS: '5', PROBE_TIMEOUT_SECONDS: '5' }))).toContain(
      'must be less than PROBE_INTERVAL_SECONDS',
    );
    expect(userErrorOf(() => loadExporterSettings({ PROBE_INTERVL_SECONDS: '5' }))).toBe(
      'unknown variable PROBE_INTERVL_SECONDS: did you mean PROBE_INTERVAL_SECONDS?',
    );
    expect(userErrorOf(() => loadExporterSettings({ MONITOR_PORT: '70000' }))).toContain('MONITOR_PORT');
  });

  test('defaults: 30 s interval, 10 s timeout, 3 s jitter, 1 MiB body limit, port 9464; fractions allowed', () => {
    expect(loadExporterSettings({})).toMatchObject({ intervalSeconds: 30, timeoutSeconds: 10, jitterSeconds: 3, bodyLimitBytes: 1_048_576, port: 9464 });
    expect(loadExporterSettings({ PROBE_INTERVAL_SECONDS: '0.5' })).toMatchObject({ intervalSeconds: 0.5, timeoutSeconds: 0.25, jitterSeconds: 0.05 });
  });

  const cliErrors: ReadonlyArray<[string, Record<string, string>, string]> = [
    ['an unknown key in the targets YAML', { MONITOR_TARGETS_FILE: path.join(testdata, 'invalid-unknown-key.yml') }, 'key "tokenfile"'],
    ['a bad interval', { PROBE_INTERVAL_SECONDS: 'soon' }, 'PROBE_INTERVAL_SECONDS'],
    ['a timeout not below the interval', { PROBE_INTERVAL_SECONDS: '10', PROBE_TIMEOUT_SECONDS: '10' }, 'PROBE_TIMEOUT_SECONDS (10) must be less than'],
  ];
  for (const [what, env, mention] of cliErrors) {
    test(`npm run monitor with ${what} exits 2 with one line and no stack`, async () => {
      const { code, stderr } = await runExporterCli({ MONITOR_PORT: '0', ...env });
      expect(code, `exit code; stderr: ${stderr}`).toBe(2);
      expect(stderr.trim().split('\n'), 'exactly one line').toHaveLength(1);
      expect(stderr).toMatch(/^error: /);
      expect(stderr).toContain(mention);
      expect(stderr, 'no stack trace').not.toMatch(/\n\s+at /);
    });
  }
});

test('npm run monitor with no API_BASE_URL probes the embedded simulator and stops cleanly on SIGTERM', async () => {
  const { process: exporter, url } = await startExporterCli({ PROBE_INTERVAL_SECONDS: '0.5' });
  try {
    const text = await eventually('a successful probe of each operation', async () => {
      const { text } = await scrape({ url });
      const both = sampleValue(text, 'probe_success', op) === 1 && sampleValue(text, 'probe_success', { ...op, operation: 'getCustomerUsage' }) === 1;
      return both ? text : undefined;
    });
    expect(text, 'default process metrics').toContain('process_cpu_seconds_total');
  } finally {
    await exporter.stop();
  }
  const exit = await exporter.exit;
  expect(exit.code, `clean exit; stderr: ${exit.stderr}`).toBe(0);
});

test('a rotated token file is picked up without restart', async () => {
  const sim = await startSimulator();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'monitor-token-'));
  const tokenFile = path.join(dir, 'token');
  fs.writeFileSync(tokenFile, 'an-expired-token-value\n');
  const primary = sim.customer('primary');
  const exporter = await startQuietExporter([{ ...simulatorTarget(sim), tokenSource: { kind: 'file', path: tokenFile } }]);
  try {
    await eventually('auth failure with the old token', () => exporter.runner.states()[0]?.last?.reason === 'auth');
    // Rotate as tools do: write a new file and rename it over the old one.
    fs.writeFileSync(`${tokenFile}.new`, `${primary.token}\n`);
    fs.renameSync(`${tokenFile}.new`, tokenFile);
    await eventually('success with the rotated token', () => exporter.runner.states()[0]?.last?.success === true);
  } finally {
    await exporter.stop();
    await sim.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a rotation to a bad token file logs one warning, without any token, and probes keep succeeding with the last good one', async () => {
  const sim = await startSimulator();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'monitor-token-'));
  const tokenFile = path.join(dir, 'token');
  const primary = sim.customer('primary');
  fs.writeFileSync(tokenFile, `${primary.token}\n`);
  const logs: string[] = [];
  const exporter = await startExporter({
    targets: [{ ...simulatorTarget(sim), tokenSource: { kind: 'file', path: tokenFile } }],
    settings: { intervalSeconds: 0.25, timeoutSeconds: 0.2 },
    port: 0,
    defaultMetrics: false,
    log: (line) => logs.push(line),
  });
  const successes = (): number => exporter.runner.states().reduce((n, s) => n + s.successes, 0);
  try {
    await eventually('success with the good token', () => exporter.runner.states().every((s) => s.last?.success));
    // A botched rotation: two tokens pasted on two lines, renamed over the good file.
    const badText = 'sim_pasted-first-token\nsim_pasted-second-token\n';
    fs.writeFileSync(`${tokenFile}.new`, badText);
    fs.renameSync(`${tokenFile}.new`, tokenFile);
    const before = successes();
    // Many probes of both operations read the bad file; each must still succeed, and the warning come once.
    await eventually('ten more successful probes', () => successes() >= before + 10);
    const warnings = logs.filter((line) => line.includes(tokenFile));
    expect(warnings, 'one warning for one bad rotation').toHaveLength(1);
    expect(warnings[0]).toBe(
      `default: token file ${tokenFile} now holds several lines (a token is one line): still sending the last good token until it is fixed`,
    );
    for (const secret of [primary.token, 'sim_pasted-first-token', 'sim_pasted-second-token']) {
      expect(logs.join('\n').includes(secret), 'no token, good or bad, in the log').toBe(false);
    }
    const { text } = await scrape(exporter);
    for (const operation of ['getCustomer', 'getCustomerUsage']) {
      expect(
        sampleValue(text, 'customer_api_probe_failures_total', { operation, target: 'default', reason: 'auth' }),
        `no ${operation} probe failed on the credential`,
      ).toBe(0);
    }
  } finally {
    await exporter.stop();
    await sim.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('only GET ever reaches the API: scheduled probes, /probe, and the HTTP function itself', async () => {
  const raw = await startRawServer('ok-json');
  const sim = await startSimulator();
  const exporter = await startQuietExporter([simulatorTarget(sim, { baseUrl: raw.baseUrl })]);
  try {
    await eventually('scheduled probes', () => raw.requests.length >= 6);
    await scrape(exporter, '/probe?target=default&operation=getCustomer');
    await scrape(exporter, '/probe?target=default&operation=getCustomerUsage');
    const direct = await httpGet(`${raw.baseUrl}/x`, {
      headers: {},
      timeoutMs: 1000,
      bodyLimitBytes: 1000,
      // @ts-expect-error httpGet has no method option: anything but GET cannot be expressed.
      method: 'DELETE',
    });
    expect(direct.status).toBe(200);
    expect(raw.requests.length).toBeGreaterThanOrEqual(9);
    for (const line of raw.requests) expect(line, 'request line').toMatch(/^GET \/v2\/integrations\/\S+ HTTP\/1\.1$/);
  } finally {
    await exporter.stop();
    await raw.stop();
    await sim.stop();
  }
});

test.describe('/probe (on-scrape mode)', () => {
  test('answers a fresh registry with only that probe, 400 for unknown names, 200 with probe_success 0 for a failure, 5xx for a fault', async () => {
    const sim = await startSimulator();
    const exporter = await startQuietExporter([simulatorTarget(sim)], undefined, { scheduled: false });
    try {
      const ok = await scrape(exporter, '/probe?target=default&operation=getCustomerUsage');
      expect(ok.status).toBe(200);
      expect(ok.contentType).toContain('text/plain');
      expect(sampleValue(ok.text, 'probe_success', { operation: 'getCustomerUsage', target: 'default' })).toBe(1);
      expect(ok.text, 'a fresh registry: no counters').not.toContain('customer_api_probes_total');
      expect(ok.text, 'only this operation').not.toContain('operation="getCustomer"');

      const unknownTarget = await scrape(exporter, '/probe?target=nope&operation=getCustomer');
      expect(unknownTarget.status).toBe(400);
      expect(unknownTarget.text).toContain('unknown target "nope"');
      const unknownOperation = await scrape(exporter, '/probe?target=default&operation=deleteCustomer');
      expect(unknownOperation.status).toBe(400);
      expect(unknownOperation.text).toContain('unknown operation "deleteCustomer"');

      sim.setMode('error-rate');
      sim.reset();
      const failed = await scrape(exporter, '/probe?target=default&operation=getCustomer');
      const failedAgain = await scrape(exporter, '/probe?target=default&operation=getCustomer');
      expect([failed.status, failedAgain.status], 'a failed probe is still HTTP 200').toEqual([200, 200]);
      expect([failed.text, failedAgain.text].map((t) => sampleValue(t, 'probe_success', op)).sort()).toEqual([0, 1]);

      exporter.runner.probe = () => Promise.reject(new Error('exporter bug'));
      const fault = await scrape(exporter, '/probe?target=default&operation=getCustomer');
      expect(fault.status, 'an exporter fault is a 5xx').toBe(500);
    } finally {
      await exporter.stop();
      await sim.stop();
    }
  });

  test('honours X-Prometheus-Scrape-Timeout-Seconds minus 0.5 s, capped by PROBE_TIMEOUT_SECONDS', async () => {
    const sim = await startSimulator({ mode: 'slow' });
    const exporter = await startQuietExporter([simulatorTarget(sim)], { intervalSeconds: 10, timeoutSeconds: 5 }, { scheduled: false });
    try {
      const res = await scrape(exporter, '/probe?target=default&operation=getCustomer', { 'X-Prometheus-Scrape-Timeout-Seconds': '1.5' });
      expect(res.status).toBe(200);
      expect(sampleValue(res.text, 'probe_success', op)).toBe(0);
      // Which timeout applied, read from the probe's own log rather than from a clock (a loaded machine adds seconds).
      const applied = await scrape(exporter, '/probe?target=default&operation=getCustomer&debug=true', { 'X-Prometheus-Scrape-Timeout-Seconds': '1.5' });
      expect(applied.text, 'the scrape timeout minus 0.5 s, not the 5 s own timeout').toContain('timeout=1 s');
      expect(applied.text).toContain('failure reason=timeout');
      const debug = await scrape(exporter, '/probe?target=default&operation=getCustomer&debug=true', { 'X-Prometheus-Scrape-Timeout-Seconds': '0.8' });
      expect(debug.text).toContain('failure reason=timeout');
      expect(debug.text).toContain('timeout=0.3 s');
    } finally {
      await exporter.stop();
      await sim.stop();
    }
  });
});

test('the token never appears in /metrics, /, /probe?debug=true or the log; a JWT exp becomes a gauge', async () => {
  const exp = Math.floor(Date.now() / 1000) + 90 * 86_400;
  const b64 = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const jwt = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: 'cust_abc123', exp })}.c2lnbmF0dXJlLXZhbHVl`;
  const sim = await startSimulator({ tokens: { cust_abc123: jwt } });
  const logs: string[] = [];
  const exporter = await startExporter({
    targets: [simulatorTarget(sim), { ...simulatorTarget(sim, { token: `${jwt}x` }), name: 'wrong_token' }],
    settings: { intervalSeconds: 0.25, timeoutSeconds: 0.2 },
    port: 0,
    defaultMetrics: false,
    log: (line) => logs.push(line),
  });
  try {
    await eventually('both targets probed', () => exporter.runner.states().every((s) => s.last !== undefined));
    const metrics = await scrape(exporter);
    expect(sampleValue(metrics.text, 'customer_api_token_expiry_timestamp_seconds', { target: 'default' })).toBe(exp);
    const outputs = [
      metrics.text,
      (await scrape(exporter, '/')).text,
      (await scrape(exporter, '/probe?target=default&operation=getCustomer&debug=true')).text,
      (await scrape(exporter, '/probe?target=wrong_token&operation=getCustomer&debug=true')).text,
      logs.join('\n'),
    ];
    for (const text of outputs) {
      expect(text.includes(jwt.split('.')[2]!), 'no token signature in any output').toBe(false);
      expect(text.includes(jwt.split('.')[1]!), 'no token payload in any output').toBe(false);
    }
    expect(outputs[1], 'the status page shows the failing target').toContain('wrong_token');
  } finally {
    await exporter.stop();
    await sim.stop();
  }
});

test('/metrics and /probe pass promtool check metrics', async () => {
  const promtool = requireBinary('promtool');
  const sim = await startSimulator({ mode: 'undocumented-field' });
  const exporter = await startExporter({
    targets: [simulatorTarget(sim)],
    settings: { intervalSeconds: 0.25, timeoutSeconds: 0.2 },
    port: 0,
    log: () => undefined,
  });
  try {
    await eventually('probes of both operations', () => exporter.runner.states().every((s) => s.probes >= 2));
    for (const pathAndQuery of ['/metrics', '/probe?target=default&operation=getCustomerUsage']) {
      const { text } = await scrape(exporter, pathAndQuery);
      let output = '';
      try {
        output = execFileSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
      } catch (error) {
        const e = error as { stdout?: string; stderr?: string };
        throw new Error(`promtool check metrics failed for ${pathAndQuery}:\n${e.stdout ?? ''}${e.stderr ?? ''}`, { cause: error });
      }
      expect(output.trim(), `promtool has no complaints about ${pathAndQuery}`).toBe('');
    }
  } finally {
    await exporter.stop();
    await sim.stop();
  }
});

test("with 60 targets /metrics shows every pair's counters at once and every probe result once probed", async () => {
  const sim = await startSimulator();
  const targets = Array.from({ length: 60 }, (_, i) => simulatorTarget(sim, { name: `t${i}` }));
  // A long timeout and interval: the first pass starts all 120 probes within 0.6 s, and each has 20 s to answer, so a busy
  // machine makes the test slower, never red (a 1 s timeout under load left some pair failed in every rendering).
  const exporter = await startQuietExporter(targets, { intervalSeconds: 30, timeoutSeconds: 20, jitterSeconds: 0.1 });
  try {
    // The counters exist from the start (zero); the last-probe gauges appear with each pair's first probe.
    const first = await scrape(exporter);
    expect(first.text).toContain('customer_api_probes_total{operation="getCustomerUsage",target="t59"}');
    const probed = await eventually(
      'every target probed in a rendering',
      async () => {
        const { text } = await scrape(exporter);
        return targets.every((t) => sampleValue(text, 'probe_success', { operation: 'getCustomer', target: t.name }) !== undefined) ? text : undefined;
      },
      60_000,
    );
    const failed = targets.filter((t) => sampleValue(probed, 'probe_success', { operation: 'getCustomer', target: t.name }) !== 1).map((t) => t.name);
    expect(failed, 'every first probe of a faithful simulator succeeds').toEqual([]);
    expect(sampleValue(probed, 'customer_api_probes_total', { operation: 'getCustomer', target: 't0' })).toBeGreaterThanOrEqual(1);
  } finally {
    await exporter.stop();
    await sim.stop();
  }
});
