// npm run scale-out:demo — two exporters and one Prometheus on this machine; checks the cross-location aggregates exist and add up.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { freePort } from './free-port';
import { exitOnUserError, UserError } from '../config/errors';
import { startSimulator } from '../simulator/server';

const repoRoot = path.resolve(__dirname, '..');
const exampleConfig = path.join(repoRoot, 'monitors', 'scale-out', 'prometheus.yml');
const prometheusBinary = '/usr/bin/prometheus';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));


interface PromVector {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(prometheusUrl: string, expr: string): Promise<PromVector[]> {
  const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await response.json()) as { status: string; error?: string; data?: { result: PromVector[] } };
  if (body.status !== 'success') throw new Error(`query ${expr} failed: ${body.error ?? response.status}`);
  return body.data?.result ?? [];
}

async function main(): Promise<void> {
  if (!fs.existsSync(prometheusBinary)) throw new UserError(`${prometheusBinary} is missing: apt-get install prometheus`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scale-out-'));
  const children: ChildProcess[] = [];
  const simulator = await startSimulator();
  const primary = simulator.customers.find((c) => c.role === 'primary')!;
  try {
    const ports = [await freePort(), await freePort()];
    for (const port of ports) {
      const exporter = spawn(process.execPath, ['--import', 'tsx', 'monitors/exporter/cli.ts'], {
        cwd: repoRoot,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          API_BASE_URL: simulator.baseUrl,
          API_CUSTOMER_ID: primary.id,
          API_TOKEN: primary.token,
          MONITOR_PORT: String(port),
          MONITOR_HOST: '127.0.0.1',
          PROBE_INTERVAL_SECONDS: '1',
          PROBE_TIMEOUT_SECONDS: '0.5',
        },
        stdio: 'ignore',
      });
      children.push(exporter);
    }
    // The example file as shipped, with its two addresses pointed at this run's exporters and 1 s clocks.
    const config = YAML.parse(fs.readFileSync(exampleConfig, 'utf8')) as {
      global: Record<string, string>;
      rule_files: string[];
      scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }>;
    };
    config.global = { scrape_interval: '1s', evaluation_interval: '1s' };
    config.rule_files = config.rule_files.map((file) => path.resolve(path.dirname(exampleConfig), file));
    const targets = config.scrape_configs[0]!.static_configs;
    targets.forEach((group, index) => (group.targets = [`127.0.0.1:${ports[index]}`]));
    const configFile = path.join(dir, 'prometheus.yml');
    fs.writeFileSync(configFile, YAML.stringify(config));
    const prometheusPort = await freePort();
    const prometheus = spawn(prometheusBinary, [`--config.file=${configFile}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${prometheusPort}`, '--log.level=error'], { stdio: 'ignore' });
    children.push(prometheus);
    const prometheusUrl = `http://127.0.0.1:${prometheusPort}`;

    const checks: Array<[string, () => Promise<string | undefined>]> = [
      ['both exporters are up', async () => ((await query(prometheusUrl, 'count(up{job="customer-api-exporter"} == 1)'))[0]?.value[1] === '2' ? undefined : 'not yet 2')],
      ['each location reports its own probes', async () => ((await query(prometheusUrl, 'count(count by (location) (customer_api_probes_total{operation="getCustomer"}))'))[0]?.value[1] === '2' ? undefined : 'not yet 2 locations')],
      ['customer_api:probes:rate5m sums the locations', async () => {
        const [aggregate] = await query(prometheusUrl, 'customer_api:probes:rate5m{target="default",operation="getCustomer"}');
        const [sum] = await query(prometheusUrl, 'sum(rate(customer_api_probes_total{job="customer-api-exporter",target="default",operation="getCustomer"}[5m]))');
        if (!aggregate || !sum) return 'no series yet';
        const a = Number(aggregate.value[1]);
        const b = Number(sum.value[1]);
        if (aggregate.metric.location !== undefined) return 'the aggregate still carries a location label';
        return a > 0 && Math.abs(a - b) <= b * 0.2 ? undefined : `aggregate ${a} vs per-location sum ${b}`;
      }],
      ['customer_api:probe_success:avg is 1 (every location succeeds)', async () => ((await query(prometheusUrl, 'customer_api:probe_success:avg{target="default",operation="getCustomer"}'))[0]?.value[1] === '1' ? undefined : 'not 1')],
      ['the merged latency histogram answers a p95', async () => ((await query(prometheusUrl, 'histogram_quantile(0.95, customer_api:probe_duration_seconds_bucket:rate5m{target="default",operation="getCustomer"})')).length === 1 ? undefined : 'no p95')],
    ];
    const deadline = Date.now() + 60_000;
    for (const [name, check] of checks) {
      let problem: string | undefined = 'not checked';
      while (Date.now() < deadline) {
        problem = await check().catch((error: unknown) => (error instanceof Error ? error.message : String(error)));
        if (!problem) break;
        await sleep(500);
      }
      if (problem) throw new UserError(`scale-out check failed: ${name}: ${problem}`);
      console.log(`ok  ${name}`);
    }
    console.log('scale-out: two exporters, one Prometheus, aggregated series present and consistent');
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await simulator.stop();
    await sleep(300);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => exitOnUserError(error, 1));
