// Proves the Prometheus config, alert and recording rules, their promtool unit tests and the Grafana dashboard are valid and agree with each other.
import { test, expect } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import {
  collectPromqlExpressions,
  dashboardExpressions,
  dashboardPanels,
  monitorPaths,
  readDashboard,
  readRuleFile,
  ruleExpressions,
} from './helpers/promql-exprs';

const promtoolMissing = spawnSync('promtool', ['--version']).error !== undefined;

/** Skips the test without promtool, except under CI where a missing promtool is a broken pipeline. */
function requirePromtool(): void {
  if (!promtoolMissing) return;
  const hint = 'promtool is not on PATH: apt-get install prometheus';
  if (process.env.CI) throw new Error(`${hint} (required when CI is set)`);
  test.skip(true, hint);
}

function promtool(args: string[], cwd: string): { status: number | null; output: string } {
  const run = spawnSync('promtool', args, { cwd, encoding: 'utf8', timeout: 100_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
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
  return (readRuleFile().groups ?? []).flatMap((group) =>
    (group.rules ?? []).flatMap((rule) => (rule.record ? [rule.record] : [])),
  );
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
    requirePromtool();
    const { status, output } = promtool(['check', 'rules', monitorPaths.rules], path.dirname(monitorPaths.rules));
    expect(status, `promtool check rules failed:\n${output}`).toBe(0);
    expect(output, 'promtool reports the rules it found').toMatch(/SUCCESS: \d+ rules found/);
  });

  test('promtool test rules passes every unit test', () => {
    requirePromtool();
    const { status, output } = promtool(['test', 'rules', monitorPaths.ruleTests], path.dirname(monitorPaths.ruleTests));
    expect(status, `promtool test rules failed:\n${output}`).toBe(0);
    expect(output, 'promtool reports success').toContain('SUCCESS');
    expect(output, 'no test case failed').not.toContain('FAILED');
  });

  test('promtool check config accepts prometheus.yml and loads its rule file', () => {
    requirePromtool();
    const { status, output } = promtool(['check', 'config', monitorPaths.prometheusConfig], path.dirname(monitorPaths.prometheusConfig));
    expect(status, `promtool check config failed:\n${output}`).toBe(0);
    expect(output, 'the rule_files entry resolves relative to prometheus.yml').toContain('SUCCESS: 1 rule files found');
  });

  test('prometheus.yml scrapes the exporter in both modes', () => {
    const config = parse(fs.readFileSync(monitorPaths.prometheusConfig, 'utf8')) as {
      scrape_configs: { job_name: string; metrics_path?: string; relabel_configs?: { target_label?: string }[] }[];
    };
    const jobs = new Map(config.scrape_configs.map((job) => [job.job_name, job]));
    expect(jobs.get('customer-api-exporter')?.metrics_path, 'scheduled mode reads /metrics').toBe('/metrics');
    const probeJob = jobs.get('customer-api-probe');
    expect(probeJob?.metrics_path, 'on-scrape mode calls /probe').toBe('/probe');
    const relabelled = (probeJob?.relabel_configs ?? []).map((rule) => rule.target_label);
    expect(relabelled, 'blackbox-style relabelling sets the target parameter, instance and exporter address').toEqual(
      expect.arrayContaining(['__param_target', 'instance', '__address__']),
    );
    expect(relabelled, 'no target label may clash with the exporter\'s own target/operation labels').not.toEqual(
      expect.arrayContaining(['target']),
    );
  });

  test('every alert has a firing and a quiet promtool case', () => {
    const ruleTests = parse(fs.readFileSync(monitorPaths.ruleTests, 'utf8')) as {
      tests: { name: string; alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
    };
    const cases = ruleTests.tests.flatMap((group) => group.alert_rule_test ?? []);
    const alertNames = alertRules().map((rule) => rule.alert);
    expect(alertNames.length, 'the rule file defines alerts').toBeGreaterThan(0);
    for (const name of alertNames) {
      const own = cases.filter((c) => c.alertname === name);
      expect(own.some((c) => (c.exp_alerts ?? []).length > 0), `${name} has a case where it fires`).toBe(true);
      expect(own.some((c) => (c.exp_alerts ?? []).length === 0), `${name} has a case where it stays quiet`).toBe(true);
    }
    const unknown = cases.map((c) => c.alertname).filter((name) => !alertNames.includes(name));
    expect(unknown, 'test cases only name alerts that exist').toEqual([]);
  });

  test('every alert is CamelCase with a severity, summary, description and a for of at least 1m', () => {
    for (const rule of alertRules()) {
      expect(rule.alert, 'alert names are CamelCase and start with CustomerApi').toMatch(/^CustomerApi(?:[A-Z][a-z0-9]*)+$/);
      expect(['critical', 'warning'], `${rule.alert} has severity critical or warning`).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, `${rule.alert} has a summary`).toBeTruthy();
      expect(rule.annotations?.description, `${rule.alert} has a description`).toBeTruthy();
      expect(durationSeconds(rule.for ?? '0s'), `${rule.alert} waits at least two 30 s probe intervals`).toBeGreaterThanOrEqual(60);
      if (/\btarget\b/.test(rule.expr) || rule.expr.includes('customer_api')) {
        expect(rule.annotations?.summary, `${rule.alert} summary names the target`).toContain('{{ $labels.target }}');
      }
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
    expect([...new Set(used)].filter((name) => !defined.has(name)), 'recording rules the dashboard reads but nobody records').toEqual([]);
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

  test('every dashboard and rule expression parses', async ({}, testInfo) => {
    requirePromtool();
    // promtool has no offline "parse this expression"; check rules parses every expr of a rule file.
    const expressions = collectPromqlExpressions();
    const parseCheck = {
      groups: [{
        name: 'parse-check',
        rules: expressions.map((expression, index) => ({ record: `parse_check_${index}`, expr: expression.promql })),
      }],
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
