// Alertmanager for the Customer API alerts: the shipped config checks out with amtool, routes every alert, inhibits what
// an incident's cause explains, and end to end (simulator -> exporter -> Prometheus -> Alertmanager -> webhook) one
// incident is one notification group that names its cause.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import YAML from 'yaml';
import type { ProbeTarget } from '../monitors/exporter/config';
import { startExporter, type RunningExporter } from '../monitors/exporter/server';
import { startSimulator, type RunningSimulator } from '../simulator/server';
import { closedPort, eventually, simulatorTarget } from './helpers/monitor-harness';
import {
  instantQuery,
  requireBinary,
  ruleGroups,
  startAlertmanager,
  startPrometheus,
  startWebhookReceiver,
  type RunningProcess,
  type WebhookNotification,
  type WebhookReceiver,
} from './helpers/prometheus-stack';
import { monitorPaths, readRuleFile } from './helpers/promql-exprs';

const alertmanagerConfig = path.resolve(__dirname, '..', 'monitors', 'alertmanager', 'alertmanager.yml');

interface AlertDefinition {
  alert: string;
  severity: string;
}

/** Every (alert, severity) the rule file defines; the budget alert has a critical and a warning twin. */
function alertDefinitions(): AlertDefinition[] {
  const rules = (readRuleFile().groups ?? []).flatMap((group) => group.rules ?? []) as Array<{ alert?: string; labels?: { severity?: string } }>;
  return rules.flatMap((rule) => (rule.alert ? [{ alert: rule.alert, severity: rule.labels?.severity ?? '' }] : []));
}

function amtool(args: string[]): { status: number | null; output: string } {
  const run = spawnSync('amtool', args, { encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

interface AlertmanagerFile {
  route: { receiver: string; group_by: string[]; group_wait: string; group_interval: string; routes: { receiver: string; matchers: string[] }[] };
  receivers: { name: string; webhook_configs?: { url: string; send_resolved?: boolean }[] }[];
  inhibit_rules: { source_matchers: string[]; target_matchers: string[]; equal: string[] }[];
}

function readAlertmanagerFile(): AlertmanagerFile {
  return YAML.parse(fs.readFileSync(alertmanagerConfig, 'utf8')) as AlertmanagerFile;
}

/**
 * The shipped Alertmanager config with its webhooks pointed at `receiverUrl` (same paths) and, for the test's sake,
 * short group timers (1 s wait, 2 s interval instead of 30 s and 5 m). Routes, grouping and inhibitions are unchanged.
 */
function testAlertmanagerConfig(receiverUrl: string): string {
  const config = readAlertmanagerFile();
  config.route.group_wait = '1s';
  config.route.group_interval = '2s';
  for (const receiver of config.receivers) {
    for (const webhook of receiver.webhook_configs ?? []) webhook.url = `${receiverUrl}${new URL(webhook.url).pathname}`;
  }
  return YAML.stringify(config);
}

/** Alert names written in a matcher list, with `CustomerApi(A|B)` alternations expanded: each must exist. */
function namesIn(matchers: string[]): string[] {
  return matchers.flatMap((matcher) => {
    const match = /^alertname(=~|=|!=)"(.*)"$/.exec(matcher);
    if (!match) return [];
    const grouped = /^(\w+)\(([\w|]+)\)$/.exec(match[2] ?? '');
    if (grouped) return (grouped[2] ?? '').split('|').map((name) => `${grouped[1]}${name}`);
    return (match[2] ?? '').split('|');
  });
}

/** The known alert names a matcher list selects (by its alertname matchers; all of them when it has none). */
function selectedBy(matchers: string[], known: string[]): string[] {
  return known.filter((name) =>
    matchers.every((matcher) => {
      const match = /^alertname(=~|=|!=)"(.*)"$/.exec(matcher);
      if (!match) return true;
      const value = match[2] ?? '';
      if (match[1] === '=') return name === value;
      if (match[1] === '!=') return name !== value;
      return new RegExp(`^(?:${value})$`).test(name);
    }),
  );
}

/** Where each alert must go: the heartbeat to its own receiver, failed notifications to tickets and the pager. */
function expectedReceiver(alert: string, severity: string): string {
  if (alert === 'CustomerApiWatchdog') return 'customer-api-heartbeat';
  if (alert === 'CustomerApiNotificationsFailing') return 'customer-api-tickets,customer-api-pager';
  return severity === 'critical' ? 'customer-api-pager' : 'customer-api-tickets';
}

/** Alerts about the monitoring itself: they page on their own and must never mute a target's alert. */
const monitoringAlerts = ['CustomerApiExporterDown', 'CustomerApiProbesStale', 'CustomerApiWatchdog'];

test.describe('Alertmanager configuration', () => {
  test('amtool check-config accepts monitors/alertmanager/alertmanager.yml', () => {
    requireBinary('amtool');
    const { status, output } = amtool(['check-config', alertmanagerConfig]);
    expect(status, `amtool check-config failed:\n${output}`).toBe(0);
    expect(output).toContain('SUCCESS');
    expect(output, 'the inhibitions are there').toMatch(/\d+ inhibit rules/);
  });

  test("amtool config routes test: pages go to the pager, the heartbeat to its dead man's switch, everything else to tickets", () => {
    requireBinary('amtool');
    const cases: Array<{ labels: string[]; receiver: string }> = [
      // Every alert the rules define, as Prometheus sends it.
      ...alertDefinitions().map(({ alert, severity }) => ({
        labels: [`alertname=${alert}`, `severity=${severity}`, 'service=customer-api', 'target=default'],
        receiver: expectedReceiver(alert, severity),
      })),
      // The exporter-down alert has no target, and pages: nothing else tells anyone the monitoring is blind.
      {
        labels: ['alertname=CustomerApiExporterDown', 'severity=critical', 'service=customer-api', 'instance=localhost:9464'],
        receiver: 'customer-api-pager',
      },
      // Somebody else's critical alert is not a Customer API page.
      { labels: ['alertname=NodeDown', 'severity=critical', 'service=other'], receiver: 'customer-api-tickets' },
      { labels: ['alertname=Watchdog'], receiver: 'customer-api-tickets' },
    ];
    expect(cases.length).toBeGreaterThan(8);
    const wrong: string[] = [];
    for (const { labels, receiver } of cases) {
      const { status, output } = amtool(['config', 'routes', 'test', `--config.file=${alertmanagerConfig}`, `--verify.receivers=${receiver}`, ...labels]);
      const routed = output
        .split('\n')
        .filter((line) => line.trim() && !line.startsWith('Warning'))
        .join(' ')
        .trim();
      if (status !== 0 || routed !== receiver) wrong.push(`${labels.join(' ')} -> ${routed} (expected ${receiver})`);
    }
    expect(wrong, 'label sets routed to the wrong receiver').toEqual([]);
  });

  test('groups by target, delivers by webhook with resolutions, and every inhibition names real alerts without cycles', () => {
    const config = readAlertmanagerFile();
    expect(config.route.group_by, 'one incident = one target = one notification group').toEqual(['service', 'target']);
    for (const receiver of config.receivers) {
      expect(receiver.webhook_configs?.length, `${receiver.name} is a webhook receiver`).toBeGreaterThan(0);
      for (const webhook of receiver.webhook_configs ?? []) expect(webhook.send_resolved, `${receiver.name} sends resolutions`).toBe(true);
    }
    const known = [...new Set(alertDefinitions().map((d) => d.alert))];
    const edges: Array<[string, string]> = [];
    for (const rule of config.inhibit_rules) {
      for (const name of namesIn([...rule.source_matchers, ...rule.target_matchers])) {
        expect(known, `inhibit rule names ${name}, which the rules define`).toContain(name);
      }
      expect(rule.source_matchers, 'every inhibition is scoped to this service').toContain('service="customer-api"');
      const sources = selectedBy(rule.source_matchers, known);
      const targets = selectedBy(rule.target_matchers, known);
      expect(sources.length, `inhibit rule ${JSON.stringify(rule.source_matchers)} selects an alert`).toBeGreaterThan(0);
      // The critical-mutes-warning rule pairs an alert with its own twin (equal alertname): not an edge between alerts.
      if (rule.equal.includes('alertname')) continue;
      for (const source of sources) for (const target of targets) if (source !== target) edges.push([source, target]);
    }
    // Layered: a source never mutes an alert that can mute it back.
    const cycles = edges.filter(([a, b]) => edges.some(([c, d]) => c === b && d === a));
    expect(cycles, 'mutual inhibitions (both alerts would be muted)').toEqual([]);
    const sources = new Set(edges.map(([source]) => source));
    for (const required of ['CustomerApiProbeFailing', 'CustomerApiTokenRejected', 'CustomerApiContractBroken']) {
      expect(sources.has(required), `${required} mutes the alerts below it`).toBe(true);
    }
    // Issue 19: ExporterDown muted every alert while it was only a ticket, so a vendor outage paged nobody. The
    // monitoring alerts page themselves and mute nothing; the held cause alerts send no "resolved" meanwhile.
    for (const rule of config.inhibit_rules) {
      for (const source of selectedBy(rule.source_matchers, known).filter((name) => monitoringAlerts.includes(name))) {
        if (rule.equal.includes('alertname')) continue;
        expect(selectedBy(rule.target_matchers, known), `${source} mutes no alert`).toEqual([]);
      }
    }
    for (const { alert, severity } of alertDefinitions().filter((d) => d.alert === 'CustomerApiExporterDown' || d.alert === 'CustomerApiProbesStale')) {
      expect(severity, `${alert} pages`).toBe('critical');
    }
    expect(
      config.inhibit_rules.some(
        (rule) =>
          rule.source_matchers.includes('severity="critical"') && rule.target_matchers.includes('severity="warning"') && rule.equal.includes('alertname'),
      ),
      'a critical alert mutes its warning twin',
    ).toBe(true);
  });
});

/** Alerts as Alertmanager's API answers them. */
interface AlertmanagerAlert {
  labels: Record<string, string>;
  status: { state: 'active' | 'suppressed' | 'unprocessed'; inhibitedBy: string[] };
}

async function postAlerts(baseUrl: string, alerts: Array<Record<string, string>>): Promise<void> {
  const body = alerts.map((labels) => ({ labels: { service: 'customer-api', ...labels }, annotations: { summary: `${labels.alertname} test` } }));
  const res = await fetch(`${baseUrl}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.ok, `POST /api/v2/alerts answered ${res.status}`).toBe(true);
}

async function alertStates(baseUrl: string): Promise<Map<string, string>> {
  const res = await fetch(`${baseUrl}/api/v2/alerts`);
  const alerts = (await res.json()) as AlertmanagerAlert[];
  return new Map(alerts.map((a) => [`${a.labels.target ?? '-'} ${a.labels.alertname} ${a.labels.severity}`, a.status.state]));
}

/** Firing alert names per notification group (by its target label), from everything the webhook received. */
function firingByTarget(received: { body: WebhookNotification }[]): Map<string, Set<string>> {
  const byTarget = new Map<string, Set<string>>();
  for (const { body } of received) {
    const target = body.groupLabels.target ?? '-';
    const names = byTarget.get(target) ?? new Set<string>();
    for (const alert of body.alerts) if (alert.status === 'firing') names.add(`${alert.labels.alertname} ${alert.labels.severity}`);
    byTarget.set(target, names);
  }
  return byTarget;
}

test('Alertmanager inhibits what a cause explains: target down > token/throttle > contract > budget, critical > warning; exporter down mutes nothing', async () => {
  requireBinary('alertmanager');
  test.setTimeout(90_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alertmanager-inhibit-'));
  let receiver: WebhookReceiver | undefined;
  let alertmanager: RunningProcess | undefined;
  try {
    receiver = await startWebhookReceiver();
    const configFile = path.join(dir, 'alertmanager.yml');
    fs.writeFileSync(configFile, testAlertmanagerConfig(receiver.url));
    const port = await closedPort();
    alertmanager = await startAlertmanager(configFile, port, path.join(dir, 'data'));
    const baseUrl = `http://127.0.0.1:${port}`;

    const crit = (alertname: string, target: string) => ({ alertname, target, severity: 'critical' });
    const warn = (alertname: string, target: string) => ({ alertname, target, severity: 'warning' });
    await postAlerts(baseUrl, [
      // Down: everything else about the target is a consequence.
      crit('CustomerApiProbeFailing', 'down'),
      crit('CustomerApiContractBroken', 'down'),
      warn('CustomerApiTokenRejected', 'down'),
      crit('CustomerApiAvailabilityBudgetBurn', 'down'),
      warn('CustomerApiLatencyBudgetBurn', 'down'),
      // Token rejected: availability is not measured.
      warn('CustomerApiTokenRejected', 'token'),
      crit('CustomerApiContractBroken', 'token'),
      crit('CustomerApiAvailabilityBudgetBurn', 'token'),
      // Contract broken: the budget it burns is the same incident.
      crit('CustomerApiContractBroken', 'contract'),
      crit('CustomerApiAvailabilityBudgetBurn', 'contract'),
      warn('CustomerApiAvailabilityBudgetBurn', 'contract'),
      // Budget only: the page mutes its ticket twin, the latency warning stays.
      crit('CustomerApiAvailabilityBudgetBurn', 'budget'),
      warn('CustomerApiAvailabilityBudgetBurn', 'budget'),
      warn('CustomerApiLatencyBudgetBurn', 'budget'),
      // A stuck probe loop pages itself; the failing-probe alert it froze stays visible (no inhibition).
      crit('CustomerApiProbesStale', 'stale'),
      crit('CustomerApiProbeFailing', 'stale'),
    ]);
    const expectedActive = [
      'down CustomerApiProbeFailing critical',
      'token CustomerApiTokenRejected warning',
      'contract CustomerApiContractBroken critical',
      'budget CustomerApiAvailabilityBudgetBurn critical',
      'budget CustomerApiLatencyBudgetBurn warning',
      'stale CustomerApiProbesStale critical',
      'stale CustomerApiProbeFailing critical',
    ];
    let states = new Map<string, string>();
    await eventually(
      'Alertmanager to process the alerts',
      async () => {
        states = await alertStates(baseUrl);
        return states.size === 16 && [...states.values()].every((state) => state !== 'unprocessed');
      },
      30_000,
    );
    const active = [...states]
      .filter(([, state]) => state === 'active')
      .map(([key]) => key)
      .sort();
    expect(active, 'alerts left active after inhibition').toEqual([...expectedActive].sort());

    // Notifications: one group per target, carrying only what inhibition left.
    await eventually(
      'a notification for every target',
      // Every active alert, since one target's alerts may reach two receivers (pager and tickets) at different moments.
      () =>
        expectedActive.every((key) => {
          const [target, alertname, severity] = key.split(' ');
          return firingByTarget(receiver!.received)
            .get(target ?? '')
            ?.has(`${alertname} ${severity}`);
        }),
      30_000,
    );
    const byTarget = firingByTarget(receiver.received);
    for (const key of expectedActive) {
      const [target, alertname, severity] = key.split(' ');
      expect(byTarget.get(target ?? ''), `the ${target} group notifies ${alertname}`).toContain(`${alertname} ${severity}`);
    }
    for (const [target, names] of byTarget) {
      const expected = expectedActive.filter((key) => key.startsWith(`${target} `)).map((key) => key.slice(target.length + 1));
      expect([...names].sort(), `group ${target} notified only what inhibition left`).toEqual(expected.sort());
    }
    const pages = receiver.received.filter((n) => n.path.endsWith('/page')).flatMap((n) => n.body.alerts.map((a) => a.labels.severity));
    expect(new Set(pages), 'the pager receives critical alerts only').toEqual(new Set(['critical']));

    // The exporter goes down: it pages on its own and mutes nothing (a vendor outage seen elsewhere still pages).
    await postAlerts(baseUrl, [{ alertname: 'CustomerApiExporterDown', severity: 'critical', instance: 'localhost:9464', job: 'customer-api-exporter' }]);
    await eventually(
      'the exporter-down page',
      () => receiver!.received.some((n) => n.path.endsWith('/page') && n.body.alerts.some((a) => a.labels.alertname === 'CustomerApiExporterDown')),
      30_000,
    );
    states = await alertStates(baseUrl);
    expect(
      [...states]
        .filter(([, state]) => state === 'active')
        .map(([key]) => key)
        .sort(),
      'CustomerApiExporterDown mutes nothing',
    ).toEqual([...expectedActive, '- CustomerApiExporterDown critical'].sort());
  } finally {
    await alertmanager?.stop();
    await receiver?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** The external labels of the shipped prometheus.yml (runbook and status page URLs), which the annotations read. */
function shippedExternalLabels(): Record<string, string> {
  const config = YAML.parse(fs.readFileSync(monitorPaths.prometheusConfig, 'utf8')) as { global: { external_labels: Record<string, string> } };
  return config.global.external_labels;
}

/** Scales every duration in the rule file by 1/`factor` (windows, offsets, `for`), so an hour of alerting happens in minutes. */
function scaleRuleDurations(text: string, factor: number): string {
  const seconds = (amount: string, unit: string): number => Number(amount) * ({ s: 1, m: 60, h: 3600, d: 86_400 } as Record<string, number>)[unit]!;
  const scaled = (amount: string, unit: string): string => `${Math.max(1, Math.round(seconds(amount, unit) / factor))}s`;
  return text
    .replace(/\[(\d+)([smhd])\]/g, (_m, amount: string, unit: string) => `[${scaled(amount, unit)}]`)
    .replace(/offset (\d+)([smhd])\b/g, (_m, amount: string, unit: string) => `offset ${scaled(amount, unit)}`)
    .replace(/^(\s+for: )(\d+)([smhd])$/gm, (_m, prefix: string, amount: string, unit: string) => `${prefix}${scaled(amount, unit)}`);
}

test('end to end, each incident is one notification group naming its cause: contract break, outage, rejected token', async () => {
  requireBinary('prometheus');
  requireBinary('alertmanager');
  test.setTimeout(240_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alertmanager-e2e-'));
  const sims: RunningSimulator[] = [];
  let exporter: RunningExporter | undefined;
  let receiver: WebhookReceiver | undefined;
  let alertmanager: RunningProcess | undefined;
  let prometheus: RunningProcess | undefined;
  try {
    // Four targets, each its own simulator: three will break, `steady` stays healthy as the control.
    const [contractSim, outageSim, tokenSim, steadySim] = await Promise.all([startSimulator(), startSimulator(), startSimulator(), startSimulator()]);
    sims.push(contractSim, outageSim, tokenSim, steadySim);
    const tokenFile = path.join(dir, 'token');
    fs.writeFileSync(tokenFile, tokenSim.customer('primary').token);
    const targets: ProbeTarget[] = [
      simulatorTarget(contractSim, { name: 'contract' }),
      simulatorTarget(outageSim, { name: 'outage' }),
      { ...simulatorTarget(tokenSim, { name: 'token' }), tokenSource: { kind: 'file', path: tokenFile } },
      simulatorTarget(steadySim, { name: 'steady' }),
    ];
    // Short clocks (say so): a probe every 0.5 s, 1 s scrapes and evaluations.
    exporter = await startExporter({ targets, settings: { intervalSeconds: 0.5, timeoutSeconds: 0.4, jitterSeconds: 0.05 }, port: 0, log: () => undefined });

    receiver = await startWebhookReceiver();
    const amPort = await closedPort();
    fs.writeFileSync(path.join(dir, 'alertmanager.yml'), testAlertmanagerConfig(receiver.url));
    alertmanager = await startAlertmanager(path.join(dir, 'alertmanager.yml'), amPort, path.join(dir, 'am-data'));

    // The shipped rules with every duration divided by 20 (windows, offsets and `for`, so their order is kept:
    // 2m -> 6 s for the cause alerts, 3m -> 9 s for the budget alerts, 1h -> 3 min), group intervals on the 1 s
    // clock, and the history guards always satisfied (promtool tests them on both sides; here the budget alerts must
    // be live to show that they stay quiet).
    const rules = YAML.parse(scaleRuleDurations(fs.readFileSync(monitorPaths.rules, 'utf8'), 20)) as {
      groups: Array<{ interval?: string; rules: Array<{ record?: string; expr: string }> }>;
    };
    for (const group of rules.groups) {
      delete group.interval;
      for (const rule of group.rules) {
        if (rule.record?.startsWith('customer_api:probe_history:'))
          rule.expr = 'max by (target, operation) (customer_api_probes_total{job="customer-api-exporter"})';
      }
    }
    const rulesFile = path.join(dir, 'customer-api.rules.yml');
    fs.writeFileSync(rulesFile, YAML.stringify(rules));
    const promPort = await closedPort();
    const configFile = path.join(dir, 'prometheus.yml');
    fs.writeFileSync(
      configFile,
      YAML.stringify({
        global: { scrape_interval: '1s', evaluation_interval: '1s', external_labels: shippedExternalLabels() },
        rule_files: [rulesFile],
        alerting: { alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${amPort}`] }] }] },
        scrape_configs: [{ job_name: 'customer-api-exporter', static_configs: [{ targets: [new URL(exporter.url).host], labels: { location: 'local' } }] }],
      }),
    );
    prometheus = await startPrometheus(configFile, promPort, path.join(dir, 'prom-data'));
    const promUrl = `http://127.0.0.1:${promPort}`;
    const promLog = (): string => prometheus!.log();
    const amLog = (): string => alertmanager!.log();
    const context = (): string =>
      `\nPrometheus log:\n${promLog()}\nAlertmanager log:\n${amLog()}\nnotifications:\n${JSON.stringify(receiver?.received, null, 1)}`;
    // The heartbeat fires all the time by design; it goes to its own receiver and is left out here.
    const firingInPrometheus = async (): Promise<string[]> =>
      (await instantQuery(promUrl, 'ALERTS{alertstate="firing", alertname!="CustomerApiWatchdog"}'))
        .map((s) => `${s.metric.target ?? '-'} ${s.metric.alertname}`)
        .sort();
    const incidentNotifications = (): { path: string; body: WebhookNotification }[] => receiver!.received.filter((n) => !n.path.endsWith('/heartbeat'));

    // Healthy first: every target x operation has a valid-probe rate and succeeds, nothing fires.
    await eventually(
      'four healthy targets in Prometheus',
      async () => (await instantQuery(promUrl, 'customer_api:probes_valid:rate5m > 0 and on (target, operation) probe_success == 1')).length === 8,
      60_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}${context()}`);
    });
    expect(await firingInPrometheus(), 'nothing fires while every target is healthy').toEqual([]);
    expect(incidentNotifications(), 'no notification while every target is healthy').toEqual([]);

    // Three incidents at once, one per target.
    contractSim.setMode('retyped-field');
    await outageSim.stop();
    fs.writeFileSync(tokenFile, 'an-expired-or-revoked-token-value');

    // What each description must say (a probe in flight when an incident starts may add another reason to the list).
    const causes: Record<string, { alertname: string; receiverPath: string; says: RegExp[] }> = {
      contract: {
        alertname: 'CustomerApiContractBroken',
        receiverPath: '/customer-api/page',
        says: [
          /^Target contract, locations whose last probe got a 2xx with a body the exporter rejected/,
          /: getCustomer 1 of 1 \(a page from 1\) getCustomerUsage 1 of 1 \(a page from 1\)\./,
          /getCustomer\/contract\b/,
          /getCustomerUsage\/contract\b/,
        ],
      },
      outage: {
        alertname: 'CustomerApiProbeFailing',
        receiverPath: '/customer-api/page',
        says: [
          /^Target outage, locations without a usable answer/,
          /getCustomer 1 of 1 \(a page from 1; last HTTP status 0\) getCustomerUsage 1 of 1 \(a page from 1; last HTTP status 0\)/,
          /getCustomer\/connect\b/,
          /getCustomerUsage\/connect\b/,
        ],
      },
      token: { alertname: 'CustomerApiTokenRejected', receiverPath: '/customer-api/ticket', says: [/of probes of target token fail on the credential/] },
    };
    await eventually(
      'a notification naming the cause of each incident',
      () => Object.keys(causes).every((target) => receiver!.received.some((n) => n.body.groupLabels.target === target && n.body.status === 'firing')),
      120_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}${context()}`);
    });

    // The budget burns for the contract break and the outage (contract and connect failures are unavailable probes),
    // yet must not page. Wait until that burn has held for longer than the budget alerts' `for` (9 s) plus two group
    // intervals, as Prometheus' own evaluation clock counts it, then read what arrived.
    const burning = 'customer_api:probe_errors:ratio_rate1h / 0.001 > 14.4 and on (target, operation) customer_api:probe_errors:ratio_rate5m / 0.001 > 14.4';
    await eventually(
      'the availability budget burning on both operations of contract and outage',
      async () => (await instantQuery(promUrl, burning)).length === 4,
      60_000,
    );
    const burnSeen = Date.now() / 1000;
    await eventually(
      'the alert rules evaluated 15 s past the burn',
      async () => {
        const group = (await ruleGroups(promUrl)).find((g) => g.name === 'customer-api-alerts');
        return group !== undefined && Date.parse(group.lastEvaluation) / 1000 > burnSeen + 15;
      },
      60_000,
    );
    const stillBurning = await instantQuery(promUrl, burning);
    expect(stillBurning.length, `the budget still burns: ${stillBurning.map((s) => `${s.metric.target}/${s.metric.operation}`).join(' ')}`).toBe(4);
    // Two group intervals for anything that fired in that evaluation to reach the webhook.
    const flushed = incidentNotifications().length;
    await eventually('two group intervals', async () => new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 4_500)), 10_000);

    // Prometheus: one firing alert per incident, the cause.
    expect(await firingInPrometheus(), `one alert per incident fires in Prometheus${context()}`).toEqual([
      'contract CustomerApiContractBroken',
      'outage CustomerApiProbeFailing',
      'token CustomerApiTokenRejected',
    ]);
    // Alertmanager: exactly one notification group per incident, naming the cause, on the right receiver.
    const notifications = incidentNotifications();
    const groupsByTarget = new Map<string, Set<string>>();
    for (const { body } of notifications) {
      const keys = groupsByTarget.get(body.groupLabels.target ?? '-') ?? new Set<string>();
      keys.add(body.groupKey);
      groupsByTarget.set(body.groupLabels.target ?? '-', keys);
    }
    expect([...groupsByTarget.keys()].sort(), `notification groups (the steady target has none)${context()}`).toEqual(['contract', 'outage', 'token']);
    for (const [target, keys] of groupsByTarget) expect(keys.size, `${target}: one notification group`).toBe(1);
    for (const [target, cause] of Object.entries(causes)) {
      const own = notifications.filter((n) => n.body.groupLabels.target === target);
      const alerts = own.flatMap((n) => n.body.alerts);
      expect([...new Set(alerts.map((a) => a.labels.alertname))], `${target}: the group carries only its cause`).toEqual([cause.alertname]);
      expect(new Set(own.map((n) => n.path)), `${target}: delivered to ${cause.receiverPath}`).toEqual(new Set([cause.receiverPath]));
      const described = alerts.map((a) => a.annotations.description ?? '').find((d) => cause.says.every((says) => says.test(d)));
      expect(
        described,
        `${target}: the description names operations and reason (got ${alerts.map((a) => a.annotations.description).join(' | ')})`,
      ).toBeDefined();
      expect(
        alerts.every((a) => a.annotations.runbook_url === `${shippedExternalLabels().runbook_base_url}/${cause.alertname}.md`),
        `${target}: the runbook is linked by an absolute URL`,
      ).toBe(true);
    }
    process.stdout.write(
      `notifications: ${notifications.length} (${flushed} before the last wait), groups: ${[...groupsByTarget].map(([t, k]) => `${t}=${k.size}`).join(', ')}\n`,
    );
  } finally {
    await prometheus?.stop();
    await alertmanager?.stop();
    await receiver?.stop();
    await exporter?.stop();
    for (const sim of sims) await sim.stop().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** Posts alerts as Prometheus does: firing ones with a short endsAt it keeps renewing, resolved ones with endsAt now. */
async function sendAsPrometheus(baseUrl: string, firing: Array<Record<string, string>>, resolved: Array<Record<string, string>> = []): Promise<void> {
  const now = Date.now();
  const body = [
    ...firing.map((labels) => ({ labels: { service: 'customer-api', ...labels }, endsAt: new Date(now + 60_000).toISOString() })),
    ...resolved.map((labels) => ({ labels: { service: 'customer-api', ...labels }, endsAt: new Date(now).toISOString() })),
  ];
  const res = await fetch(`${baseUrl}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.ok, `POST /api/v2/alerts answered ${res.status}`).toBe(true);
}

test('the drill through the shipped Alertmanager: the exporter dies during a paged outage, one page for it, no "resolved" for the target', async () => {
  requireBinary('alertmanager');
  test.setTimeout(90_000);
  // What Prometheus sends in the drill, as customer-api.rules.incidents.test.yml ("the drill") proves for the rules:
  // ProbeFailing fires before, during (held) and after the exporter's death; ExporterDown fires, then resolves.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alertmanager-drill-'));
  let receiver: WebhookReceiver | undefined;
  let alertmanager: RunningProcess | undefined;
  try {
    receiver = await startWebhookReceiver();
    const configFile = path.join(dir, 'alertmanager.yml');
    fs.writeFileSync(configFile, testAlertmanagerConfig(receiver.url));
    const port = await closedPort();
    alertmanager = await startAlertmanager(configFile, port, path.join(dir, 'data'));
    const baseUrl = `http://127.0.0.1:${port}`;
    const outage = { alertname: 'CustomerApiProbeFailing', severity: 'critical', target: 'outage' };
    const exporterDown = { alertname: 'CustomerApiExporterDown', severity: 'critical', job: 'customer-api-exporter', instance: 'localhost:9464' };
    const pages = (): WebhookNotification[] => receiver!.received.filter((n) => n.path.endsWith('/page')).map((n) => n.body);
    const pagesAbout = (alertname: string, status: 'firing' | 'resolved'): number =>
      pages().filter((n) => n.alerts.some((a) => a.labels.alertname === alertname && a.status === status)).length;

    // 1. The outage pages.
    await sendAsPrometheus(baseUrl, [outage]);
    await eventually('the outage page', () => pagesAbout('CustomerApiProbeFailing', 'firing') > 0, 30_000);
    // 2. The exporter dies: ProbeFailing is held (still sent as firing), ExporterDown fires and pages.
    await sendAsPrometheus(baseUrl, [outage, exporterDown]);
    await eventually('the exporter-down page', () => pagesAbout('CustomerApiExporterDown', 'firing') > 0, 30_000);
    // 3. Restarted, the target still down: ExporterDown resolves, ProbeFailing goes on.
    await sendAsPrometheus(baseUrl, [outage], [exporterDown]);
    await eventually('the exporter-down resolution', () => pagesAbout('CustomerApiExporterDown', 'resolved') > 0, 30_000);
    // Several group intervals (2 s in this copy) for anything else to arrive.
    for (let i = 0; i < 3; i++) await sendAsPrometheus(baseUrl, [outage]).then(() => new Promise((resolve) => setTimeout(resolve, 2_000)));

    expect(pagesAbout('CustomerApiProbeFailing', 'resolved'), `no "resolved" for the still-broken target:\n${JSON.stringify(pages(), null, 1)}`).toBe(0);
    const exporterPages = pages().filter((n) => n.alerts.some((a) => a.labels.alertname === 'CustomerApiExporterDown' && a.status === 'firing'));
    expect(exporterPages.length, 'one critical page for the exporter').toBe(1);
    expect(new Set(exporterPages.flatMap((n) => n.alerts.map((a) => a.labels.severity))), 'it is a page').toEqual(new Set(['critical']));
    expect(
      receiver.received.filter((n) => n.path.endsWith('/ticket')),
      'nothing of the drill goes to tickets only',
    ).toEqual([]);
  } finally {
    await alertmanager?.stop();
    await receiver?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
