// Proves the Prometheus config, alert and recording rules, their promtool unit tests and the Grafana dashboard are valid and agree with each other.
import { test, expect } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { requireBinary } from './helpers/binaries';
import { runProcess } from './helpers/processes';
import {
  collectPromqlExpressions,
  dashboardExpressions,
  dashboardPanels,
  monitorPaths,
  readDashboard,
  readRuleFile,
  ruleExpressions,
} from './helpers/promql-exprs';

/** The promtool unit tests that need days of history evaluate hourly, so they live in their own file. */
const historyRuleTests = path.join(path.dirname(monitorPaths.ruleTests), 'customer-api.rules.history.test.yml');
/** The cases of issue 19 (the exporter-death drill, self-monitoring, slow/flapping, locations), evaluated every 15 s. */
const incidentRuleTests = path.join(path.dirname(monitorPaths.ruleTests), 'customer-api.rules.incidents.test.yml');
const ruleTestFiles = [monitorPaths.ruleTests, historyRuleTests, incidentRuleTests];
/** Always firing by design (a dead man's switch's heartbeat): no quiet case, no severity, no `for`. */
const heartbeatAlert = 'CustomerApiWatchdog';
const runbooksDir = path.resolve(path.dirname(monitorPaths.prometheusConfig), '..', 'runbooks');

/** The cause alerts of each incident; the budget alerts wait longer than these (`for`) so the cause is named first. */
const causeAlerts = ['CustomerApiProbeFailing', 'CustomerApiContractBroken', 'CustomerApiTokenRejected'];
const budgetAlerts = ['CustomerApiAvailabilityBudgetBurn', 'CustomerApiLatencyBudgetBurn'];

function promtool(args: string[], cwd: string): { status: number | null; output: string } {
  const run = spawnSync('promtool', args, { cwd, encoding: 'utf8', timeout: 100_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

interface PrometheusConfig {
  scrape_configs: {
    job_name: string;
    metrics_path?: string;
    static_configs?: { targets: string[]; labels?: Record<string, string> }[];
    relabel_configs?: { target_label?: string }[];
  }[];
  alerting?: { alertmanagers?: { static_configs?: { targets: string[] }[] }[] };
  global?: { external_labels?: Record<string, string> };
}

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

function alertRules(): AlertRule[] {
  return (readRuleFile().groups ?? []).flatMap((group) => (group.rules ?? []).filter((rule) => rule.alert)) as AlertRule[];
}

function recordingRuleNames(): string[] {
  return (readRuleFile().groups ?? []).flatMap((group) => (group.rules ?? []).flatMap((rule) => (rule.record ? [rule.record] : [])));
}

// Prometheus durations such as 90s, 2m, 1h30m, in seconds.
function durationSeconds(duration: string): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, y: 31_536_000 };
  const parts = [...duration.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)];
  expect(parts.map((part) => part[0]).join(''), `"${duration}" is a Prometheus duration`).toBe(duration);
  return parts.reduce((total, [, amount, unit]) => total + Number(amount) * (units[unit ?? ''] ?? Number.NaN), 0);
}

test.describe('Prometheus configuration and rules', () => {
  test('promtool check rules accepts the rule file', () => {
    requireBinary('promtool');
    const { status, output } = promtool(['check', 'rules', monitorPaths.rules], path.dirname(monitorPaths.rules));
    expect(status, `promtool check rules failed:\n${output}`).toBe(0);
    expect(output, 'promtool reports the rules it found').toMatch(/SUCCESS: \d+ rules found/);
  });

  // One test per file, so the files' cases (seconds of CPU each: promtool steps through hours and days of evaluations)
  // run on different workers; promtool itself goes through its files one after the other.
  for (const file of ruleTestFiles) {
    test(`promtool test rules passes every unit test of ${path.basename(file)}`, async () => {
      requireBinary('promtool');
      // A busy machine makes promtool slow, never wrong: no deadline of its own, only the test's.
      test.setTimeout(300_000);
      const { code, stdout, stderr } = await runProcess('promtool', ['test', 'rules', path.basename(file)], {
        cwd: path.dirname(file),
        failAfterMs: 290_000,
      });
      const output = `${stdout}${stderr}`;
      expect(code, `promtool test rules ${path.basename(file)} failed:\n${output}`).toBe(0);
      expect(output, 'promtool reports success').toContain('SUCCESS');
      expect(output, 'no test case failed').not.toContain('FAILED');
    });
  }

  test('promtool check config accepts prometheus.yml and loads its rule file', () => {
    requireBinary('promtool');
    const { status, output } = promtool(['check', 'config', monitorPaths.prometheusConfig], path.dirname(monitorPaths.prometheusConfig));
    expect(status, `promtool check config failed:\n${output}`).toBe(0);
    expect(output, 'the rule_files entry resolves relative to prometheus.yml').toContain('SUCCESS: 1 rule files found');
  });

  test('prometheus.yml scrapes the default exporter in scheduled mode, Prometheus and Alertmanager, and sends alerts to Alertmanager', () => {
    const config = parse(fs.readFileSync(monitorPaths.prometheusConfig, 'utf8')) as PrometheusConfig;
    expect(
      config.scrape_configs.map((job) => job.job_name),
      'one mode per target (the default exporter already probes `default` on its schedule), plus the monitoring itself',
    ).toEqual(['prometheus', 'alertmanager', 'customer-api-exporter']);
    const job = (name: string) => config.scrape_configs.find((j) => j.job_name === name);
    expect(job('prometheus')?.static_configs?.[0]?.targets, 'Prometheus scrapes itself (rule failures, discovered Alertmanagers)').toEqual(['localhost:9090']);
    expect(job('alertmanager')?.static_configs?.[0]?.targets, 'Prometheus scrapes Alertmanager (failed notifications)').toEqual(['localhost:9093']);
    const scheduled = job('customer-api-exporter');
    expect(scheduled?.metrics_path, 'scheduled mode reads /metrics').toBe('/metrics');
    expect(
      scheduled?.static_configs?.flatMap((group) => group.targets),
      'only the default exporter address',
    ).toEqual(['localhost:9464']);
    expect(config.alerting?.alertmanagers?.[0]?.static_configs?.[0]?.targets, 'alerts go to the Alertmanager of monitors/alertmanager').toEqual([
      'localhost:9093',
    ]);
  });

  test('the commented-out on-scrape example is a valid blackbox-style job once uncommented', ({}, testInfo) => {
    requireBinary('promtool');
    const text = fs.readFileSync(monitorPaths.prometheusConfig, 'utf8');
    const block = /# On-scrape example \(begin\)[^\n]*\n(?:\s*#[^\n]*\n)*?((?: {2}# [ -][^\n]*\n)+)\s*# On-scrape example \(end\)/.exec(text);
    expect(block, 'prometheus.yml keeps the on-scrape example between its begin/end markers').not.toBeNull();
    const uncommented = (block?.[1] ?? '')
      .split('\n')
      .map((line) => line.replace(/^ {2}# /, '  '))
      .join('\n');
    const job = (parse(`scrape_configs:\n${uncommented}`) as PrometheusConfig).scrape_configs[0];
    expect(job?.job_name).toBe('customer-api-probe');
    expect(job?.metrics_path, 'on-scrape mode calls /probe').toBe('/probe');
    const relabelled = (job?.relabel_configs ?? []).map((rule) => rule.target_label);
    expect(relabelled, 'blackbox-style relabelling sets the target parameter, instance and exporter address').toEqual(
      expect.arrayContaining(['__param_target', 'instance', '__address__']),
    );
    expect(relabelled, "no target label may clash with the exporter's own target/operation labels").not.toEqual(expect.arrayContaining(['target']));
    const listed = (job?.static_configs ?? []).flatMap((group) => group.targets);
    expect(listed, 'the example never lists `default`, which the scheduled job already probes').not.toContain('default');
    // The whole file with the example enabled passes promtool (rule files left out: checked above).
    const enabled = text.replace(block?.[1] ?? '', uncommented).replace(/^rule_files:\n(?: {2}[^\n]*\n)+/m, '');
    const file = testInfo.outputPath('prometheus-on-scrape.yml');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, enabled);
    const { status, output } = promtool(['check', 'config', file], path.dirname(file));
    expect(status, `promtool check config of the uncommented example failed:\n${output}`).toBe(0);
  });

  test('the runbook and status page links come from one setting each, absolute', () => {
    const config = parse(fs.readFileSync(monitorPaths.prometheusConfig, 'utf8')) as PrometheusConfig;
    const labels = config.global?.external_labels ?? {};
    expect(labels.runbook_base_url, 'external_labels.runbook_base_url is an absolute https URL').toMatch(/^https:\/\/[^/]+\/.+[^/]$/);
    expect(labels.status_page_url, 'external_labels.status_page_url is an absolute URL').toMatch(/^https?:\/\/[^/]+\//);
    const text = fs.readFileSync(monitorPaths.prometheusConfig, 'utf8');
    expect(text, 'the documented Prometheus command sets --web.external-url').toMatch(/prometheus --config\.file=\S+ \\\n#\s+--web\.external-url=https:\/\//);
  });

  test('every alert has a firing and a quiet promtool case', () => {
    const cases = ruleTestFiles.flatMap((file) => {
      const ruleTests = parse(fs.readFileSync(file, 'utf8')) as {
        tests: { name: string; alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
      };
      return ruleTests.tests.flatMap((group) => group.alert_rule_test ?? []);
    });
    const alertNames = alertRules().map((rule) => rule.alert);
    expect(alertNames.length, 'the rule file defines alerts').toBeGreaterThan(0);
    for (const name of alertNames) {
      const own = cases.filter((c) => c.alertname === name);
      expect(
        own.some((c) => (c.exp_alerts ?? []).length > 0),
        `${name} has a case where it fires`,
      ).toBe(true);
      if (name === heartbeatAlert) continue;
      expect(
        own.some((c) => (c.exp_alerts ?? []).length === 0),
        `${name} has a case where it stays quiet`,
      ).toBe(true);
    }
    const unknown = cases.map((c) => c.alertname).filter((name) => !alertNames.includes(name));
    expect(unknown, 'test cases only name alerts that exist').toEqual([]);
  });

  test('every alert is CamelCase with a severity, service, summary, description, runbook and a for of at least 1m', () => {
    for (const rule of alertRules()) {
      expect(rule.alert, 'alert names are CamelCase and start with CustomerApi').toMatch(/^CustomerApi(?:[A-Z][a-z0-9]*)+$/);
      const severities = rule.alert === heartbeatAlert ? ['none'] : ['critical', 'warning'];
      expect(severities, `${rule.alert} has severity ${severities.join(' or ')}`).toContain(rule.labels?.severity);
      expect(rule.labels?.service, `${rule.alert} carries service="customer-api" for Alertmanager routing and inhibition`).toBe('customer-api');
      expect(rule.annotations?.runbook_url, `${rule.alert} links its runbook by an absolute URL`).toBe(
        `{{ $externalLabels.runbook_base_url }}/${rule.alert}.md`,
      );
      if (/\btarget\b/.test(rule.expr)) {
        expect(rule.annotations?.status_page_url, `${rule.alert} links the status page`).toBe('{{ $externalLabels.status_page_url }}');
      }
      expect(rule.annotations?.summary, `${rule.alert} has a summary`).toBeTruthy();
      expect(rule.annotations?.description, `${rule.alert} has a description`).toBeTruthy();
      if (rule.alert === heartbeatAlert) {
        expect(rule.for, 'the heartbeat fires from the first evaluation').toBeUndefined();
        continue;
      }
      expect(durationSeconds(rule.for ?? '0s'), `${rule.alert} waits at least two 30 s probe intervals`).toBeGreaterThanOrEqual(60);
      if (/\btarget\b/.test(rule.expr) || rule.expr.includes('customer_api')) {
        expect(rule.annotations?.summary, `${rule.alert} summary names the target`).toContain('{{ $labels.target }}');
      }
    }
  });

  test('every alert has a runbook that says what it means, how to confirm it and what to do', () => {
    const names = [...new Set(alertRules().map((rule) => rule.alert))];
    const sections = ['## What it means', '## Confirm', '## What to do'];
    // A runbook confirms with the suite's own tools: the gate, a /probe?debug=true call or the status page.
    // The self-monitoring runbooks confirm on Prometheus' or Alertmanager's own pages, or with amtool/promtool.
    const suiteCommand =
      /npm run (contract|drift)|localhost:9464\/probe\?[^`]*debug=true|localhost:9464\/(?:healthz|metrics)?`|status page|localhost:909[03]\/|amtool |promtool /;
    const problems: string[] = [];
    for (const name of names) {
      const file = path.join(runbooksDir, `${name}.md`);
      if (!fs.existsSync(file)) {
        problems.push(`${name}: no runbook ${path.relative(process.cwd(), file)}`);
        continue;
      }
      const text = fs.readFileSync(file, 'utf8');
      if (!text.startsWith(`# ${name}`)) problems.push(`${name}: the runbook's title is not the alert name`);
      for (const section of sections) if (!text.includes(`\n${section}\n`)) problems.push(`${name}: runbook lacks "${section}"`);
      const confirm = text.split('\n## Confirm\n')[1]?.split('\n## ')[0] ?? '';
      if (!suiteCommand.test(confirm)) problems.push(`${name}: "Confirm" names none of npm run contract/drift, /probe?…&debug=true, the status page`);
    }
    const orphans = fs.readdirSync(runbooksDir).filter((file) => file !== 'README.md' && !names.includes(file.replace(/\.md$/, '')));
    for (const orphan of orphans) problems.push(`runbook ${orphan} belongs to no alert`);
    expect(problems, 'alerts without a complete runbook').toEqual([]);
  });

  test('cause alerts are per target and budget alerts wait longer than them, so an incident is named by its cause', () => {
    const rules = alertRules();
    const known = new Set(rules.map((rule) => rule.alert));
    for (const name of [...causeAlerts, ...budgetAlerts]) expect(known.has(name), `${name} exists`).toBe(true);
    const longestCause = Math.max(...rules.filter((rule) => causeAlerts.includes(rule.alert)).map((rule) => durationSeconds(rule.for ?? '0s')));
    for (const rule of rules.filter((r) => budgetAlerts.includes(r.alert))) {
      expect(durationSeconds(rule.for ?? '0s'), `${rule.alert} (${rule.labels?.severity}) waits longer than every cause alert`).toBeGreaterThan(longestCause);
      expect(rule.expr, `${rule.alert} (${rule.labels?.severity}) stays quiet while a cause alert for the target fired recently`).toMatch(
        /unless on \(target\)\s*max_over_time\(ALERTS\{alertname=~"CustomerApiProbeFailing\|CustomerApiContractBroken", alertstate="firing"\}/,
      );
      expect(rule.expr, `${rule.alert} (${rule.labels?.severity}) speaks only once its long window is full`).toContain('customer_api:probe_history:');
    }
    for (const rule of rules.filter((r) => r.expr.includes('customer_api') || r.expr.includes('probe_'))) {
      if (rule.alert === 'CustomerApiProbesStale' || rule.alert === 'CustomerApiExporterDown') continue;
      expect(rule.expr.trimStart(), `${rule.alert} aggregates to one alert per target`).toMatch(/^(?:\(\s*)*(?:count|max|sum) by \(target\)/);
    }
  });

  test('recording rules follow level:metric:operations naming', () => {
    const names = recordingRuleNames();
    expect(names.length, 'the rule file defines recording rules').toBeGreaterThan(0);
    for (const name of names) expect(name, 'recording rule name').toMatch(/^customer_api:[a-z0-9_]+:[a-z0-9_]+$/);
    expect(new Set(names).size, 'recording rule names are unique').toBe(names.length);
  });
});

test.describe('Grafana dashboard', () => {
  test('every panel and every query uses the ${datasource} variable', () => {
    const panels = dashboardPanels(readDashboard()).filter((panel) => panel.type !== 'row');
    expect(panels.length, 'the dashboard has panels').toBeGreaterThan(0);
    for (const panel of panels as { title: string; datasource?: { uid?: string }; targets?: { refId: string; datasource?: { uid?: string } }[] }[]) {
      expect(panel.datasource?.uid, `panel "${panel.title}" datasource`).toBe('${datasource}');
      expect((panel.targets ?? []).length, `panel "${panel.title}" has a query`).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) {
        expect(target.datasource?.uid, `panel "${panel.title}" target ${target.refId} datasource`).toBe('${datasource}');
      }
    }
  });

  test('declares the datasource, target and operation variables', () => {
    const dashboard = readDashboard() as {
      schemaVersion: number;
      __inputs: { type: string; pluginId: string }[];
      templating: { list: { name: string; type: string; query: unknown }[] };
    };
    expect(dashboard.schemaVersion, 'classic dashboard schema').toBeGreaterThanOrEqual(36);
    expect(dashboard.__inputs, 'import asks for a Prometheus datasource').toContainEqual(
      expect.objectContaining({ type: 'datasource', pluginId: 'prometheus' }),
    );
    const variables = new Map(dashboard.templating.list.map((variable) => [variable.name, variable]));
    expect(variables.get('datasource'), '$datasource picks a Prometheus').toMatchObject({ type: 'datasource', query: 'prometheus' });
    for (const name of ['target', 'operation']) {
      const variable = variables.get(name);
      expect(variable?.type, `$${name} is a query variable`).toBe('query');
      expect(JSON.stringify(variable?.query), `$${name} comes from label_values`).toContain(`label_values(`);
    }
  });

  test('reads only recording rules that the rule file defines', () => {
    const defined = new Set(recordingRuleNames());
    const used = dashboardExpressions().flatMap((expr) => expr.promql.match(/customer_api:[a-z0-9_]+:[a-z0-9_]+/g) ?? []);
    expect(used.length, 'the dashboard uses the recording rules').toBeGreaterThan(0);
    expect(
      [...new Set(used)].filter((name) => !defined.has(name)),
      'recording rules the dashboard reads but nobody records',
    ).toEqual([]);
  });
});

test.describe('PromQL expressions', () => {
  test('collectPromqlExpressions returns every dashboard and rule expression, variables substituted', () => {
    const expressions = collectPromqlExpressions();
    expect(expressions.filter((e) => e.source === 'dashboard').length, 'dashboard expressions').toBeGreaterThan(10);
    expect(expressions.length - dashboardExpressions().length, 'rule expressions').toBe(ruleExpressions().length);
    for (const expression of expressions) {
      expect(expression.promql.trim(), `${expression.location} is not empty`).not.toBe('');
      expect(expression.promql, `${expression.location} has no Grafana variable left`).not.toMatch(/\$\w|\$\{|\[\[/);
    }
  });

  test('every dashboard and rule expression parses', ({}, testInfo) => {
    requireBinary('promtool');
    // promtool has no offline "parse this expression"; check rules parses every expr of a rule file.
    const expressions = collectPromqlExpressions();
    const parseCheck = {
      groups: [
        {
          name: 'parse-check',
          rules: expressions.map((expression, index) => ({ record: `parse_check_${index}`, expr: expression.promql })),
        },
      ],
    };
    const file = testInfo.outputPath('parse-check.rules.yml');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, stringify(parseCheck));
    const { status, output } = promtool(['check', 'rules', file], path.dirname(file));
    const located = output.replace(/parse_check_(\d+)/g, (match, index: string) => expressions[Number(index)]?.location ?? match);
    expect(status, `an expression does not parse:\n${located}`).toBe(0);
    expect(output, 'promtool parsed every expression').toContain(`SUCCESS: ${expressions.length} rules found`);
  });
});
