// The incident drill of issue 19, end to end with real processes: a simulator as the target, the exporter as its own
// process (`npm run monitor`'s entry point), a live Prometheus with a test copy of the shipped rules, a live
// Alertmanager with a test copy of the shipped alertmanager.yml, and a webhook recorder as pager and ticket system.
// The target goes down and pages; the exporter is killed (SIGKILL) while the target is still down; the exporter's own
// page must arrive and NO "resolved" for the target may arrive, neither then nor after the restart; once the target is
// mended, its page resolves.
//
// What the test copies change, and nothing else (the expressions, their `or`/`unless` logic and the
// hold-through-missing-data clause of the cause alerts stay exactly as shipped):
// - rules: every duration divided by 20 — range windows `[..]`, `offset`s and `for:` (so `for: 2m` -> 6 s, the hold
//   clause's `[90s]` ALERTS look-back -> 5 s (rounded), its `[1h]` bound -> 180 s); group `interval`s are dropped so every
//   group runs on the 1 s evaluation clock; the history guards (customer_api:probe_history:*) read "has data" so they
//   need no hours of history (as in tests/alertmanager.test.ts).
// - prometheus.yml: 1 s scrape and evaluation intervals; one scrape job, the exporter on a loopback port.
// - alertmanager.yml: webhook URLs point at the recorder (same paths), group_wait 1 s, group_interval 2 s.
// The same sequence with the real durations is proven by promtool in
// monitors/prometheus/rules/customer-api.rules.incidents.test.yml.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import YAML from 'yaml';
import { startSimulator, type RunningSimulator } from '../simulator/server';
import { startExporterCli, type StartedExporterCli } from './helpers/exporter-cli';
import { closedPort, eventually } from './helpers/monitor-harness';
import {
  activeAlerts,
  instantQuery,
  requireBinary,
  startAlertmanager,
  startPrometheus,
  startWebhookReceiver,
  type RunningProcess,
  type WebhookNotification,
  type WebhookReceiver,
} from './helpers/prometheus-stack';
import { monitorPaths } from './helpers/promql-exprs';

const alertmanagerConfig = path.resolve(__dirname, '..', 'monitors', 'alertmanager', 'alertmanager.yml');
const FACTOR = 20;

/** Divides every duration in the rule file by `factor` (windows, offsets, `for`). */
function scaleRuleDurations(text: string, factor: number): string {
  const seconds = (amount: string, unit: string): number => Number(amount) * ({ s: 1, m: 60, h: 3600, d: 86_400 } as Record<string, number>)[unit]!;
  const scaled = (amount: string, unit: string): string => `${Math.max(1, Math.round(seconds(amount, unit) / factor))}s`;
  return text
    .replace(/\[(\d+)([smhd])\]/g, (_m, amount: string, unit: string) => `[${scaled(amount, unit)}]`)
    .replace(/offset (\d+)([smhd])\b/g, (_m, amount: string, unit: string) => `offset ${scaled(amount, unit)}`)
    .replace(/^(\s+for: )(\d+)([smhd])$/gm, (_m, prefix: string, amount: string, unit: string) => `${prefix}${scaled(amount, unit)}`);
}

function testRules(): string {
  const rules = YAML.parse(scaleRuleDurations(fs.readFileSync(monitorPaths.rules, 'utf8'), FACTOR)) as {
    groups: Array<{ interval?: string; rules: Array<{ record?: string; alert?: string; expr: string }> }>;
  };
  for (const group of rules.groups) {
    delete group.interval;
    for (const rule of group.rules) {
      if (rule.record?.startsWith('customer_api:probe_history:'))
        rule.expr = 'max by (target, operation) (customer_api_probes_total{job="customer-api-exporter"})';
    }
  }
  return YAML.stringify(rules);
}

function testAlertmanagerConfig(receiverUrl: string): string {
  const config = YAML.parse(fs.readFileSync(alertmanagerConfig, 'utf8')) as {
    route: { group_wait: string; group_interval: string };
    receivers: { webhook_configs?: { url: string }[] }[];
  };
  config.route.group_wait = '1s';
  config.route.group_interval = '2s';
  for (const receiver of config.receivers) {
    for (const webhook of receiver.webhook_configs ?? []) webhook.url = `${receiverUrl}${new URL(webhook.url).pathname}`;
  }
  return YAML.stringify(config);
}

function shippedExternalLabels(): Record<string, string> {
  const config = YAML.parse(fs.readFileSync(monitorPaths.prometheusConfig, 'utf8')) as { global: { external_labels: Record<string, string> } };
  return config.global.external_labels;
}

test('incident drill: the exporter dies during a paged outage; one critical page for it, no "resolved" for the still-broken target', async () => {
  requireBinary('prometheus');
  requireBinary('alertmanager');
  test.setTimeout(360_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'incident-drill-'));
  let sim: RunningSimulator | undefined;
  let exporter: StartedExporterCli | undefined;
  let receiver: WebhookReceiver | undefined;
  let alertmanager: RunningProcess | undefined;
  let prometheus: RunningProcess | undefined;
  try {
    sim = await startSimulator();
    const simPort = Number(new URL(sim.baseUrl).port);
    const primary = sim.customer('primary');
    const tokenFile = path.join(dir, 'token');
    fs.writeFileSync(tokenFile, primary.token);
    const targetsFile = path.join(dir, 'targets.yml');
    fs.writeFileSync(targetsFile, YAML.stringify({ targets: [{ name: 'outage', base_url: sim.baseUrl, customer_id: primary.id, token_file: tokenFile }] }));
    // The exporter as a process of its own, on a fixed loopback port so the restarted one is scraped at the same address.
    const exporterPort = await closedPort();
    const startTheExporter = (): Promise<StartedExporterCli> =>
      startExporterCli({ MONITOR_TARGETS_FILE: targetsFile, MONITOR_PORT: String(exporterPort), PROBE_INTERVAL_SECONDS: '0.5', PROBE_TIMEOUT_SECONDS: '0.4' });
    exporter = await startTheExporter();

    receiver = await startWebhookReceiver();
    const amPort = await closedPort();
    fs.writeFileSync(path.join(dir, 'alertmanager.yml'), testAlertmanagerConfig(receiver.url));
    alertmanager = await startAlertmanager(path.join(dir, 'alertmanager.yml'), amPort, path.join(dir, 'am-data'));

    const rulesFile = path.join(dir, 'customer-api.rules.yml');
    fs.writeFileSync(rulesFile, testRules());
    const promPort = await closedPort();
    const configFile = path.join(dir, 'prometheus.yml');
    fs.writeFileSync(
      configFile,
      YAML.stringify({
        global: { scrape_interval: '1s', evaluation_interval: '1s', external_labels: shippedExternalLabels() },
        rule_files: [rulesFile],
        alerting: { alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${amPort}`] }] }] },
        scrape_configs: [{ job_name: 'customer-api-exporter', static_configs: [{ targets: [`127.0.0.1:${exporterPort}`], labels: { location: 'local' } }] }],
      }),
    );
    prometheus = await startPrometheus(configFile, promPort, path.join(dir, 'prom-data'));
    const promUrl = `http://127.0.0.1:${promPort}`;

    const pages = (): WebhookNotification[] => receiver!.received.filter((n) => n.path.endsWith('/page')).map((n) => n.body);
    const incidentNotifications = (): { path: string; body: WebhookNotification }[] => receiver!.received.filter((n) => !n.path.endsWith('/heartbeat'));
    const notified = (alertname: string, status: 'firing' | 'resolved', target?: string): boolean =>
      pages().some((n) =>
        n.alerts.some((a) => a.labels.alertname === alertname && a.status === status && (target === undefined || a.labels.target === target)),
      );
    const resolvedForTarget = (): WebhookNotification[] =>
      incidentNotifications()
        .map((n) => n.body)
        .filter((n) => n.alerts.some((a) => a.labels.alertname === 'CustomerApiProbeFailing' && a.labels.target === 'outage' && a.status === 'resolved'));
    const context = (): string =>
      `\nPrometheus log:\n${prometheus!.log()}\nAlertmanager log:\n${alertmanager!.log()}\nnotifications:\n${JSON.stringify(incidentNotifications(), null, 1)}`;
    const within = async <T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, ms: number): Promise<T> =>
      eventually(what, check, ms).catch((error: unknown) => {
        throw new Error(`${String(error)}${context()}`);
      });
    const noResolvedYet = (when: string): void => {
      expect(resolvedForTarget(), `no "resolved" for the still-broken target (${when})${context()}`).toEqual([]);
    };
    /** When Prometheus' firing CustomerApiProbeFailing of the target became active (unchanged while it is held). */
    const probeFailingActiveAt = async (): Promise<string | undefined> => {
      const alert = (await activeAlerts(promUrl)).find(
        (a) => a.labels.alertname === 'CustomerApiProbeFailing' && a.labels.target === 'outage' && a.state === 'firing',
      ) as { activeAt?: string } | undefined;
      return alert?.activeAt;
    };

    // Healthy first.
    await within(
      'the healthy target probed in Prometheus',
      async () => (await instantQuery(promUrl, 'probe_success{target="outage"} == 1')).length === 2,
      90_000,
    );
    expect(incidentNotifications(), 'no notification while the target is healthy').toEqual([]);

    // 1. The target goes down (connections refused) until CustomerApiProbeFailing pages.
    await sim.stop();
    await within('the CustomerApiProbeFailing page', () => notified('CustomerApiProbeFailing', 'firing', 'outage'), 120_000);
    const activeAt = await probeFailingActiveAt();
    expect(activeAt, 'Prometheus holds the firing alert').toBeDefined();

    // 2. The exporter is killed while the target is still down.
    await exporter.process.stop('SIGKILL');
    exporter = undefined;

    // 3. CustomerApiExporterDown pages (critical); without the hold, ProbeFailing would have resolved long before
    //    (its data goes stale at the next scrape, `for: 6s` of ExporterDown is later than one 2 s group interval).
    await within('the CustomerApiExporterDown page', () => notified('CustomerApiExporterDown', 'firing'), 120_000);
    const exporterPages = pages().filter((n) => n.alerts.some((a) => a.labels.alertname === 'CustomerApiExporterDown'));
    expect(new Set(exporterPages.flatMap((n) => n.alerts.map((a) => a.labels.severity))), 'the exporter page is critical').toEqual(new Set(['critical']));
    expect(await instantQuery(promUrl, 'probe_success{target="outage"}'), 'Prometheus has no fresh probe of the target').toEqual([]);
    noResolvedYet('after the exporter was killed');
    expect(await probeFailingActiveAt(), 'ProbeFailing stayed firing in Prometheus, never reset').toBe(activeAt);

    // 4. The exporter restarts, the target still down: ExporterDown resolves, ProbeFailing stays.
    exporter = await startTheExporter();
    await within('the CustomerApiExporterDown resolution', () => notified('CustomerApiExporterDown', 'resolved'), 120_000);
    await within('fresh failing probes of the target', async () => (await instantQuery(promUrl, 'probe_success{target="outage"} == 0')).length === 2, 60_000);
    noResolvedYet('after the restart');
    expect(await probeFailingActiveAt(), 'ProbeFailing still firing after the restart, never reset').toBe(activeAt);

    // 5. Mended (the simulator back on its port with the same token): the page resolves.
    sim = await startSimulator({ port: simPort, tokens: { [primary.id]: primary.token } });
    await within('the CustomerApiProbeFailing resolution once mended', () => notified('CustomerApiProbeFailing', 'resolved', 'outage'), 120_000);
    const firingPagesForTarget = pages().filter((n) =>
      n.alerts.some((a) => a.labels.alertname === 'CustomerApiProbeFailing' && a.labels.target === 'outage' && a.status === 'firing'),
    );
    expect(firingPagesForTarget.length, `one page for the outage, not a re-page after the restart${context()}`).toBe(1);
  } finally {
    await prometheus?.stop();
    await alertmanager?.stop();
    await exporter?.process.stop('SIGKILL');
    await receiver?.stop();
    await sim?.stop().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
