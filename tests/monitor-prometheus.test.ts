// End to end with a real Prometheus: it scrapes the exporter, runs the repo's rules, and every dashboard and rule expression evaluates.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import YAML from 'yaml';
import { startExporter, type RunningExporter } from '../monitors/exporter/server';
import { startSimulator, type RunningSimulator } from '../simulator/server';
import { closedPort, eventually, simulatorTarget } from './helpers/monitor-harness';
import { collectPromqlExpressions, monitorPaths, type PromqlExpression } from './helpers/promql-exprs';

const prometheusBinary = '/usr/bin/prometheus';

interface QueryAnswer {
  status: string;
  error?: string;
  data?: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> | [number, string] };
}

async function query(baseUrl: string, promql: string): Promise<QueryAnswer> {
  const res = await fetch(`${baseUrl}/api/v1/query`, { method: 'POST', body: new URLSearchParams({ query: promql }) });
  return (await res.json()) as QueryAnswer;
}

function hasData(answer: QueryAnswer): boolean {
  const result = answer.data?.result;
  if (!result) return false;
  if (answer.data?.resultType === 'scalar' || answer.data?.resultType === 'string') return true;
  return (result as unknown[]).length > 0;
}

/** Expressions that only return series while something is wrong (alerts, the firing-alerts annotation). */
function dataExpected(e: PromqlExpression): boolean {
  if (e.location.startsWith('alert ')) return false;
  return !/\bALERTS\b/.test(e.promql);
}

test('a real Prometheus scrapes the exporter, evaluates the rules, and every dashboard and rule expression answers', async () => {
  test.skip(!fs.existsSync(prometheusBinary) && !process.env.CI, 'Prometheus is not installed: apt-get install prometheus');
  expect(fs.existsSync(prometheusBinary), 'Prometheus must be installed in CI (apt-get install prometheus)').toBe(true);
  test.setTimeout(120_000);

  const b64 = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const exp = Math.floor(Date.now() / 1000) + 90 * 86_400;
  const jwt = `${b64({ alg: 'HS256' })}.${b64({ sub: 'cust_abc123', exp })}.c2lnbmF0dXJl`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'monitor-prometheus-'));
  let healthy: RunningSimulator | undefined;
  let broken: RunningSimulator | undefined;
  let exporter: RunningExporter | undefined;
  let prometheus: ChildProcess | undefined;
  let prometheusLog = '';
  try {
    healthy = await startSimulator({ tokens: { cust_abc123: jwt } });
    // A second target that always answers 500, so failure and availability series carry real values.
    broken = await startSimulator({ errorRate: 1 });
    exporter = await startExporter({
      targets: [simulatorTarget(healthy), { ...simulatorTarget(broken), name: 'broken' }],
      settings: { intervalSeconds: 1, timeoutSeconds: 0.8, jitterSeconds: 0.1 },
      port: 0,
      log: () => undefined,
    });
    const port = await closedPort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const configFile = path.join(dir, 'prometheus.yml');
    // The repo's rules, unchanged except that per-group `interval:` (5m for the 30 d group) gives way to the 1 s
    // global clock: otherwise the 30 d availability series would not exist for five minutes.
    const rules = YAML.parse(fs.readFileSync(monitorPaths.rules, 'utf8')) as { groups: Array<{ interval?: string }> };
    for (const group of rules.groups) delete group.interval;
    const rulesFile = path.join(dir, 'customer-api.rules.yml');
    fs.writeFileSync(rulesFile, YAML.stringify(rules));
    // Same job name as monitors/prometheus/prometheus.yml (the rules select job="customer-api-exporter"), faster clock.
    fs.writeFileSync(
      configFile,
      [
        'global:',
        '  scrape_interval: 1s',
        '  evaluation_interval: 1s',
        'rule_files:',
        `  - ${JSON.stringify(rulesFile)}`,
        'scrape_configs:',
        '  - job_name: customer-api-exporter',
        '    static_configs:',
        `      - targets: [${JSON.stringify(new URL(exporter.url).host)}]`,
        '        labels:',
        '          location: local',
        '',
      ].join('\n'),
    );
    prometheus = spawn(prometheusBinary, [`--config.file=${configFile}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    prometheus.stdout?.on('data', (d) => (prometheusLog += String(d)));
    prometheus.stderr?.on('data', (d) => (prometheusLog += String(d)));

    await eventually('Prometheus ready', async () => (await fetch(`${baseUrl}/-/ready`)).ok, 30_000);
    const expressions = collectPromqlExpressions();
    expect(expressions.length, 'expressions collected from the dashboard and rules').toBeGreaterThan(20);
    const expected = expressions.filter(dataExpected);

    // Rates need two samples and recording rules read other recorded series: wait until everything expected has data.
    let missing: string[] = [];
    await eventually(
      'data for every dashboard panel and recording rule',
      async () => {
        missing = [];
        for (const e of expected) if (!hasData(await query(baseUrl, e.promql))) missing.push(e.location);
        return missing.length === 0;
      },
      60_000,
    ).catch(() => undefined);
    expect(missing, `expressions still without data; Prometheus log:\n${prometheusLog}`).toEqual([]);

    for (const e of expressions) {
      const answer = await query(baseUrl, e.promql);
      expect.soft(answer.status, `${e.location}: ${answer.error ?? ''}\n${e.promql}`).toBe('success');
    }

    const value = async (promql: string): Promise<number> => {
      const answer = await query(baseUrl, promql);
      const first = (answer.data?.result as Array<{ value: [number, string] }> | undefined)?.[0];
      if (!first) throw new Error(`no data for ${promql}`);
      return Number(first.value[1]);
    };
    expect(await value('probe_success{target="default",operation="getCustomer"}')).toBe(1);
    expect(await value('probe_success{target="broken",operation="getCustomer"}')).toBe(0);
    expect(await value('customer_api:probe_availability:ratio_rate30d{target="default",operation="getCustomer"}'), 'healthy target fully available').toBe(1);
    expect(await value('customer_api:probe_availability:ratio_rate30d{target="broken",operation="getCustomer"}'), 'broken target unavailable').toBe(0);
    const p95 = await value('histogram_quantile(0.95, sum by (le) (rate(customer_api_probe_duration_seconds_bucket{target="default"}[5m])))');
    expect(p95, 'p95 latency of the healthy target, from the histogram').toBeGreaterThan(0);
    expect(p95).toBeLessThanOrEqual(0.5);
    expect(await value('customer_api:probe_failures:rate5m{target="broken",operation="getCustomer",reason="http_5xx"}')).toBeGreaterThan(0);
    expect(await value('customer_api_token_expiry_timestamp_seconds{target="default"}')).toBe(exp);
  } finally {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus!.once('exit', resolve));
      prometheus.kill('SIGTERM');
      const timer = setTimeout(() => prometheus!.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await exporter?.stop();
    await healthy?.stop();
    await broken?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
