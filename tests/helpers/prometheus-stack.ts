// Real Prometheus and Alertmanager processes for the monitoring tests: start, query, stop; a loopback webhook receiver.
import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { binaries } from './binaries';
import { eventually } from './monitor-harness';
import { startProcess, type ProcessOptions } from './processes';

export { requireBinary } from './binaries';
export const prometheusBinary = binaries.prometheus.path;
export const alertmanagerBinary = binaries.alertmanager.path;

/** A long-running child (Prometheus, Alertmanager, an exporter) whose output is kept for failure messages. */
export interface RunningProcess {
  child: ChildProcess;
  /** Everything it wrote, stdout then stderr. */
  log(): string;
  /** SIGTERM, then SIGKILL if it has not exited 5 s later; resolves once it has. */
  stop(): Promise<void>;
}

/** Starts a service with tests/helpers/processes.ts (a clean environment plus `env`); it runs until stopped. */
export function startService(command: string, args: readonly string[], options: ProcessOptions = {}): RunningProcess {
  // The safety net of processes.ts is for hung one-shot programs; a service lives as long as its test (at most 30 min).
  const started = startProcess(command, args, { failAfterMs: 30 * 60_000, ...options });
  return {
    child: started.child,
    log: () => `${started.stdout()}${started.stderr()}`,
    async stop(): Promise<void> {
      const timer = setTimeout(() => started.child.kill('SIGKILL'), 5_000);
      await started.stop();
      clearTimeout(timer);
    },
  };
}

/** Prometheus on 127.0.0.1:port with a throw-away TSDB in `dataDir`; resolves once /-/ready answers. */
export async function startPrometheus(configFile: string, port: number, dataDir: string): Promise<RunningProcess> {
  const prometheus = startService(prometheusBinary, [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${dataDir}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
  ]);
  await eventually('Prometheus ready', async () => (await fetch(`http://127.0.0.1:${port}/-/ready`)).ok, 30_000).catch((error: unknown) => {
    throw new Error(`${String(error)}\nPrometheus log:\n${prometheus.log()}`);
  });
  return prometheus;
}

/** Alertmanager on 127.0.0.1:port, clustering off; resolves once /-/ready answers. */
export async function startAlertmanager(configFile: string, port: number, dataDir: string): Promise<RunningProcess> {
  const alertmanager = startService(alertmanagerBinary, [
    `--config.file=${configFile}`,
    `--storage.path=${dataDir}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--cluster.listen-address=',
    '--log.level=warn',
  ]);
  await eventually('Alertmanager ready', async () => (await fetch(`http://127.0.0.1:${port}/-/ready`)).ok, 30_000).catch((error: unknown) => {
    throw new Error(`${String(error)}\nAlertmanager log:\n${alertmanager.log()}`);
  });
  return alertmanager;
}

export interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

interface QueryResponse {
  status: string;
  error?: string;
  data?: { resultType: string; result: VectorSample[] };
}

/** An instant query; throws with Prometheus' error when it fails. */
export async function instantQuery(baseUrl: string, promql: string): Promise<VectorSample[]> {
  const res = await fetch(`${baseUrl}/api/v1/query`, { method: 'POST', body: new URLSearchParams({ query: promql }) });
  const answer = (await res.json()) as QueryResponse;
  if (answer.status !== 'success') throw new Error(`query failed: ${answer.error ?? res.status}: ${promql}`);
  return answer.data?.resultType === 'vector' ? answer.data.result : [];
}

/** The `data` of a Prometheus HTTP API answer (a GET). */
async function apiData<T>(baseUrl: string, pathAndQuery: string): Promise<T> {
  const res = await fetch(`${baseUrl}${pathAndQuery}`);
  return ((await res.json()) as { data: T }).data;
}

export interface ActiveAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing' | 'inactive';
}

/** Every pending or firing alert Prometheus holds now. */
export async function activeAlerts(baseUrl: string): Promise<ActiveAlert[]> {
  return (await apiData<{ alerts: ActiveAlert[] }>(baseUrl, '/api/v1/alerts')).alerts;
}

export interface RuleGroupState {
  name: string;
  lastEvaluation: string;
  rules: { name: string; type: string; health: string; lastError?: string }[];
}

export async function ruleGroups(baseUrl: string): Promise<RuleGroupState[]> {
  return (await apiData<{ groups: RuleGroupState[] }>(baseUrl, '/api/v1/rules')).groups;
}

export interface ScrapeTargetState {
  scrapePool: string;
  scrapeUrl: string;
  health: string;
  lastError: string;
}

export async function scrapeTargets(baseUrl: string): Promise<ScrapeTargetState[]> {
  return (await apiData<{ activeTargets: ScrapeTargetState[] }>(baseUrl, '/api/v1/targets?state=active')).activeTargets;
}

/** One Alertmanager webhook notification (the fields the tests read). */
export interface WebhookNotification {
  receiver: string;
  status: 'firing' | 'resolved';
  groupKey: string;
  groupLabels: Record<string, string>;
  alerts: { status: 'firing' | 'resolved'; labels: Record<string, string>; annotations: Record<string, string> }[];
}

/** A loopback HTTP server that records every JSON body POSTed to it, with the path it came to. */
export interface WebhookReceiver {
  url: string;
  received: { path: string; body: WebhookNotification }[];
  stop(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: { path: string; body: WebhookNotification }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      try {
        received.push({ path: req.url ?? '/', body: JSON.parse(body) as WebhookNotification });
      } catch {
        /* not JSON: not a notification */
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
