// Every PromQL expression in the Grafana dashboard and the Prometheus rules, with Grafana variables substituted, ready to parse or evaluate.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

const monitorsDir = path.resolve(__dirname, '..', '..', 'monitors');

/** Where the monitoring files live; tests and the live-Prometheus check read the same paths. */
export const monitorPaths = {
  prometheusConfig: path.join(monitorsDir, 'prometheus', 'prometheus.yml'),
  rules: path.join(monitorsDir, 'prometheus', 'rules', 'customer-api.rules.yml'),
  ruleTests: path.join(monitorsDir, 'prometheus', 'rules', 'customer-api.rules.test.yml'),
  dashboard: path.join(monitorsDir, 'grafana', 'customer-api-dashboard.json'),
} as const;

/** One expression and where it came from, e.g. `panel "Probe age" target A` or `alert CustomerApiProbeFailing`. */
export interface PromqlExpression {
  source: 'dashboard' | 'rules';
  location: string;
  /** As written in the file, Grafana variables included. */
  raw: string;
  /** Plain PromQL that Prometheus can parse and evaluate. */
  promql: string;
}

/** Values that stand in for Grafana's variables: "All" for the label filters, typical ranges for the built-ins. */
export const grafanaVariableValues: Readonly<Record<string, string>> = {
  target: '.*',
  operation: '.*',
  __rate_interval: '5m',
  __interval: '1m',
  __range: '1h',
  __interval_ms: '60000',
  __range_s: '3600',
  __range_ms: '3600000',
};

// $name, ${name}, ${name:format} and the deprecated [[name]].
const grafanaVariable = /\$\{(\w+)(?::\w+)?\}|\[\[(\w+)(?::\w+)?\]\]|\$(\w+)/g;

/**
 * Replaces Grafana variables in a query with plain values.
 * @throws Error naming the variable when it has no value, so a new dashboard variable cannot slip through unchecked.
 */
export function substituteGrafanaVariables(expr: string, values: Readonly<Record<string, string>> = grafanaVariableValues): string {
  return expr.replace(grafanaVariable, (match, braced?: string, bracketed?: string, bare?: string) => {
    const name = braced ?? bracketed ?? bare ?? '';
    const value = values[name];
    if (value === undefined) {
      throw new Error(`Grafana variable ${match} in "${expr}" has no substitute: add "${name}" to grafanaVariableValues`);
    }
    return value;
  });
}

// label_values(selector, label) is Grafana's, not PromQL; group by keeps its selector checkable.
function variableQueryAsPromql(query: string): string {
  const labelValues = /^\s*label_values\((.*),\s*(\w+)\s*\)\s*$/s.exec(query);
  return labelValues ? `group by (${labelValues[2]}) (${labelValues[1]})` : query;
}

interface DashboardPanel {
  title?: string;
  type?: string;
  targets?: { refId?: string; expr?: string }[];
  panels?: DashboardPanel[];
}

interface Dashboard {
  panels?: DashboardPanel[];
  annotations?: { list?: { name?: string; expr?: string }[] };
  templating?: { list?: { name?: string; type?: string; query?: string | { query?: string } }[] };
}

/** Reads the dashboard JSON; throws with the path when it is missing or not JSON. */
export function readDashboard(dashboardPath: string = monitorPaths.dashboard): Dashboard {
  try {
    return JSON.parse(fs.readFileSync(dashboardPath, 'utf8')) as Dashboard;
  } catch (error) {
    throw new Error(`cannot read the Grafana dashboard ${dashboardPath}: ${(error as Error).message}`, { cause: error });
  }
}

/** Every panel, including those nested in collapsed rows. */
export function dashboardPanels(dashboard: Dashboard): DashboardPanel[] {
  return (dashboard.panels ?? []).flatMap((panel) => [panel, ...dashboardPanels({ panels: panel.panels ?? [] })]);
}

/** Panel queries, annotation queries and label_values variable queries of the dashboard. */
export function dashboardExpressions(dashboardPath: string = monitorPaths.dashboard): PromqlExpression[] {
  const dashboard = readDashboard(dashboardPath);
  const found: PromqlExpression[] = [];
  const add = (location: string, raw: string, promql: string) => found.push({ source: 'dashboard', location, raw, promql: substituteGrafanaVariables(promql) });

  for (const panel of dashboardPanels(dashboard)) {
    for (const target of panel.targets ?? []) {
      if (target.expr) add(`panel "${panel.title}" target ${target.refId}`, target.expr, target.expr);
    }
  }
  for (const annotation of dashboard.annotations?.list ?? []) {
    if (annotation.expr) add(`annotation "${annotation.name}"`, annotation.expr, annotation.expr);
  }
  for (const variable of dashboard.templating?.list ?? []) {
    if (variable.type !== 'query') continue;
    const query = typeof variable.query === 'string' ? variable.query : variable.query?.query;
    if (query) add(`variable $${variable.name}`, query, variableQueryAsPromql(query));
  }
  return found;
}

interface RuleFile {
  groups?: { name: string; rules?: { alert?: string; record?: string; expr?: string }[] }[];
}

/** Reads a Prometheus rule file; throws with the path when it is missing or not YAML. */
export function readRuleFile(rulesPath: string = monitorPaths.rules): RuleFile {
  try {
    return parse(fs.readFileSync(rulesPath, 'utf8')) as RuleFile;
  } catch (error) {
    throw new Error(`cannot read the rule file ${rulesPath}: ${(error as Error).message}`, { cause: error });
  }
}

/** The expression of every recording and alerting rule. */
export function ruleExpressions(rulesPath: string = monitorPaths.rules): PromqlExpression[] {
  return (readRuleFile(rulesPath).groups ?? []).flatMap((group) =>
    (group.rules ?? []).map((rule) => {
      const name = rule.alert ? `alert ${rule.alert}` : `record ${rule.record}`;
      if (!rule.expr) throw new Error(`${name} in group ${group.name} of ${rulesPath} has no expr`);
      return { source: 'rules' as const, location: `${name} (group ${group.name})`, raw: rule.expr, promql: rule.expr };
    }),
  );
}

/** All dashboard and rule expressions, variables substituted: the list to parse-check or run against a live Prometheus. */
export function collectPromqlExpressions(): PromqlExpression[] {
  return [...dashboardExpressions(), ...ruleExpressions()];
}
