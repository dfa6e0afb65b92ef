// End to end with a real Prometheus: it scrapes the exporter, runs the repo's rules, and every dashboard and rule expression evaluates.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import YAML from 'yaml';
import { startExporter, type RunningExporter } from '../monitors/exporter/server';
import { startSimulator, type RunningSimulator } from '../simulator/server';
import { closedPort, eventually, simulatorTarget } from './helpers/monitor-harness';
import { tsxCommand } from './helpers/processes';
import { collectPromqlExpressions, monitorPaths, type PromqlExpression } from './helpers/promql-exprs';
import {
  activeAlerts,
  instantQuery,
  requireBinary,
  ruleGroups,
  scrapeTargets,
  startPrometheus,
  startService,
  type ActiveAlert,
  type RunningProcess,
} from './helpers/prometheus-stack';

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
  // Only while a target breaks the contract (none here; the promtool cases cover it).
  if (e.location.startsWith('record customer_api:locations_contract_broken:count ')) return false;
  if (needsHistory(e)) return false;
  // HTTPS targets only (the simulators here speak HTTP): tests/monitor-certificate.test.ts proves these series.
  if (/\bprobe_(ssl|tls)_/.test(e.promql)) return false;
  return !/\bALERTS\b/.test(e.promql);
}

/**
 * Series that exist only once Prometheus holds a full window of probes (1 h … 30 d): the history
 * guards and the 30 d SLO records, and every dashboard query that reads them. A fresh Prometheus must
 * answer nothing for them, not a few minutes' figures labelled "30 d".
 */
const historyBound =
  /customer_api:probe_history:|customer_api:probes_valid:rate30d|customer_api:probe_availability:ratio_rate30d|customer_api:error_budget_remaining:ratio30d/;
function needsHistory(e: PromqlExpression): boolean {
  return historyBound.test(e.promql) || /^record customer_api:probe_history:/.test(e.location);
}

test('a real Prometheus scrapes the exporter, evaluates the rules, and every dashboard and rule expression answers', async () => {
  requireBinary('prometheus');
  test.setTimeout(120_000);

  const b64 = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const exp = Math.floor(Date.now() / 1000) + 90 * 86_400;
  const jwt = `${b64({ alg: 'HS256' })}.${b64({ sub: 'cust_abc123', exp })}.c2lnbmF0dXJl`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'monitor-prometheus-'));
  let healthy: RunningSimulator | undefined;
  let broken: RunningSimulator | undefined;
  let exporter: RunningExporter | undefined;
  let prometheus: RunningProcess | undefined;
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
    // The repo's rules, unchanged except that per-group `interval:` (1m for the history group, 5m for the 30 d
    // group) gives way to the 1 s global clock, so those groups are evaluated here too (and must answer nothing).
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
    const started = await startPrometheus(configFile, port, path.join(dir, 'data'));
    prometheus = started;
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
    expect(missing, `expressions still without data; Prometheus log:\n${started.log()}`).toEqual([]);

    for (const e of expressions) {
      const answer = await query(baseUrl, e.promql);
      expect.soft(answer.status, `${e.location}: ${answer.error ?? ''}\n${e.promql}`).toBe('success');
      // Minutes of data are not a full window: nothing, rather than nonsense.
      if (needsHistory(e)) expect.soft(hasData(answer), `${e.location} answers nothing on a fresh Prometheus\n${e.promql}`).toBe(false);
    }
    expect(expressions.filter(needsHistory).length, 'the 30 d records and history guards are among the expressions').toBeGreaterThan(5);

    // Each figure is polled until it holds (30 s): a recording rule's first evaluation, or a probe slowed by a busy
    // machine, makes the test wait, never fail; a figure that never holds fails with its last value.
    const valueWhen = async (promql: string, what: string, holds: (value: number) => boolean): Promise<number> => {
      let last = 'no data';
      try {
        return await eventually(
          `${promql}: ${what}`,
          async () => {
            const answer = await query(baseUrl, promql);
            const first = (answer.data?.result as Array<{ value: [number, string] }> | undefined)?.[0];
            if (!first) return undefined;
            const v = Number(first.value[1]);
            last = String(v);
            return holds(v) ? { v } : undefined;
          },
          30_000,
        ).then((r) => r.v);
      } catch {
        throw new Error(`${promql}: expected ${what}, last answer: ${last}`);
      }
    };
    await valueWhen('probe_success{target="default",operation="getCustomer"}', '1', (v) => v === 1);
    await valueWhen('probe_success{target="broken",operation="getCustomer"}', '0', (v) => v === 0);
    // The unguarded 30 d ratio has data (the rates work), the recorded one waits for 30 days of it.
    const raw30d = (target: string): string =>
      `sum(rate(customer_api_probe_failures_total{target="${target}",operation="getCustomer",reason!~"throttled|auth"}[30d])) / sum(rate(customer_api_probes_total{target="${target}",operation="getCustomer"}[30d]))`;
    // A probe of the healthy target that a busy machine times out is a real failure, so "mostly" rather than "none".
    await valueWhen(raw30d('default'), 'healthy target: a failure ratio below 0.5', (v) => v < 0.5);
    await valueWhen(raw30d('broken'), 'broken target: every probe failed so far', (v) => v === 1);
    expect(hasData(await query(baseUrl, 'customer_api:probe_availability:ratio_rate30d')), 'no 30 d availability on minutes of data').toBe(false);
    expect(hasData(await query(baseUrl, 'customer_api:error_budget_remaining:ratio30d')), 'no 30 d error budget on minutes of data').toBe(false);
    await valueWhen(
      'histogram_quantile(0.95, sum by (le) (rate(customer_api_probe_duration_seconds_bucket{target="default"}[5m])))',
      // A probe ends by its 0.8 s timeout, so its duration falls in a bucket of at most 1 s.
      'a p95 latency of the healthy target from the histogram, above 0 and at most the 1 s bucket',
      (v) => v > 0 && v <= 1,
    );
    await valueWhen('customer_api:probe_failures:rate5m{target="broken",operation="getCustomer",reason="http_5xx"}', 'above 0', (v) => v > 0);
    await valueWhen('customer_api_token_expiry_timestamp_seconds{target="default"}', `the JWT's exp ${exp}`, (v) => v === exp);
  } finally {
    await prometheus?.stop();
    await exporter?.stop();
    await healthy?.stop();
    await broken?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the shipped prometheus.yml and rules, against the default exporter, keep it up and fire nothing but the heartbeat', async () => {
  requireBinary('prometheus');
  // Prometheus on a 1 s clock, the exporter on its shipped 30 s one: about 35 s (two probe rounds), bounded by the waits below.
  test.setTimeout(180_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'monitor-shipped-'));
  let exporter: RunningProcess | undefined;
  let prometheus: RunningProcess | undefined;
  try {
    const exporterPort = await closedPort();
    const prometheusPort = await closedPort();
    // Nothing listens here: Prometheus only logs that it cannot deliver alerts (there must be none).
    const alertmanagerPort = await closedPort();
    // The default setup: `npm run monitor` with no API_* variable probes its embedded, faithful
    // simulator as target `default` every 30 s.
    const startedExporter = startService(...tsxCommand('monitors/exporter/cli.ts'), { env: { MONITOR_PORT: String(exporterPort), MONITOR_HOST: '127.0.0.1' } });
    exporter = startedExporter;
    const exporterLog = (): string => startedExporter.log();
    await eventually('the exporter to listen', async () => (await fetch(`http://127.0.0.1:${exporterPort}/healthz`)).ok, 30_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\nexporter log:\n${exporterLog()}`);
    });

    // The shipped files, unmodified except for ports, the rule file's path (the copy lives elsewhere) and Prometheus'
    // 15 s scrape and evaluation clocks, here 1 s (so the run waits for probes, not for Prometheus). The rule file is
    // the shipped one, its own group intervals (1m, 5m) included; the exporter keeps its shipped 30 s probe clock.
    const shipped = fs.readFileSync(monitorPaths.prometheusConfig, 'utf8');
    const rewrites: Array<[string, string]> = [
      ['localhost:9464', `localhost:${exporterPort}`],
      ['localhost:9093', `localhost:${alertmanagerPort}`],
      // Prometheus scrapes itself (the self-monitoring alerts read its metrics).
      ['localhost:9090', `localhost:${prometheusPort}`],
      ['- rules/customer-api.rules.yml', `- ${JSON.stringify(monitorPaths.rules)}`],
      // The global clocks and the exporter job's own scrape interval.
      ['\n  scrape_interval: 15s\n', '\n  scrape_interval: 1s\n'],
      ['\n  evaluation_interval: 15s\n', '\n  evaluation_interval: 1s\n'],
      ['\n    scrape_interval: 15s\n', '\n    scrape_interval: 1s\n'],
    ];
    let config = shipped;
    for (const [from, to] of rewrites) {
      expect(config.includes(from), `prometheus.yml still contains ${from}`).toBe(true);
      config = config.split(from).join(to);
    }
    const configFile = path.join(dir, 'prometheus.yml');
    fs.writeFileSync(configFile, config);
    const startedPrometheus = await startPrometheus(configFile, prometheusPort, path.join(dir, 'data'));
    prometheus = startedPrometheus;
    const baseUrl = `http://127.0.0.1:${prometheusPort}`;
    const prometheusLog = (): string => startedPrometheus.log();
    const context = (): string => `\nPrometheus log:\n${prometheusLog()}\nexporter log:\n${exporterLog()}`;

    // Every alert Prometheus ever reports as pending or firing during the run.
    const seen: ActiveAlert[] = [];
    const watch = async (): Promise<void> => {
      for (const alert of await activeAlerts(baseUrl)) seen.push(alert);
    };

    // Every scrape target up, and both operations' probe results scraped. Alerts are not watched yet: an evaluation
    // before the first scrape sees no `up` series at all, so CustomerApiExporterDown's absent() clause may be pending
    // for that one evaluation (its `for: 2m` keeps it from ever firing).
    await eventually(
      'every scrape target up and both operations probed',
      async () => {
        // No Alertmanager listens here, so only its scrape is down.
        const targets = (await scrapeTargets(baseUrl)).filter((t) => t.scrapePool !== 'alertmanager');
        const probed = await instantQuery(baseUrl, 'probe_success{target="default"}');
        return targets.length === 2 && targets.every((t) => t.health === 'up') && probed.length === 2;
      },
      90_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}${context()}`);
    });

    // Then evaluations of the alert group until the exporter's second probe round has been scraped and evaluated five
    // times (with one round the counters are flat and every rate and ratio is 0 or NaN; with two, the burn-rate, error
    // ratio and latency rules read real rates), watching for pending and firing alerts at every poll from the first
    // evaluation that sees the scraped data on.
    const probesSoFar = async (): Promise<number> =>
      (await instantQuery(baseUrl, 'sum(customer_api_probes_total{target="default"})')).reduce((sum, sample) => sum + Number(sample.value[1]), 0);
    const firstRound = await probesSoFar();
    const alertGroup = async () => (await ruleGroups(baseUrl)).find((group) => group.name === 'customer-api-alerts');
    const startedAt = Date.parse((await alertGroup())?.lastEvaluation ?? '') || 0;
    const evaluations = new Set<string>();
    let secondRoundAt = 0;
    await eventually(
      "five evaluations of the alert rules after the exporter's second probe round",
      async () => {
        const last = Date.parse((await alertGroup())?.lastEvaluation ?? '') || 0;
        if (last > startedAt) evaluations.add(String(last));
        if (evaluations.size >= 1) await watch();
        // Both operations probed again (one round probes each once).
        if (secondRoundAt === 0 && (await probesSoFar()) >= firstRound + 2) secondRoundAt = last;
        return secondRoundAt > 0 && [...evaluations].filter((at) => Number(at) > secondRoundAt).length >= 5;
      },
      120_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}${context()}`);
    });
    await watch();

    const targets = (await scrapeTargets(baseUrl)).filter((t) => t.scrapePool !== 'alertmanager');
    expect(targets.map((t) => `${t.scrapePool} ${t.scrapeUrl} ${t.health} ${t.lastError}`).sort(), 'the default exporter and Prometheus itself, up').toEqual([
      `customer-api-exporter http://localhost:${exporterPort}/metrics up `,
      `prometheus http://localhost:${prometheusPort}/metrics up `,
    ]);
    // The heartbeat fires by design (a dead man's switch waits for it); nothing else may.
    const alertNames = seen
      .filter((alert) => alert.labels.alertname !== 'CustomerApiWatchdog')
      .map((alert) => `${alert.labels.alertname ?? '?'} ${alert.state} ${JSON.stringify(alert.labels)}`);
    expect([...new Set(alertNames)], `no alert pending or firing against the faithful simulator${context()}`).toEqual([]);
    expect(
      seen.some((alert) => alert.labels.alertname === 'CustomerApiWatchdog' && alert.state === 'firing'),
      'the heartbeat fires from the first evaluation',
    ).toBe(true);
    const groups = await ruleGroups(baseUrl);
    const broken = groups.flatMap((group) =>
      group.rules.filter((rule) => rule.health === 'err').map((rule) => `${group.name}/${rule.name}: ${rule.lastError ?? ''}`),
    );
    expect(broken, 'every rule evaluates without error').toEqual([]);
    expect(
      groups.map((group) => group.name),
      'the shipped rule file is loaded',
    ).toContain('customer-api-alerts');
  } finally {
    await prometheus?.stop();
    await exporter?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
