// npm run scale-out:demo — two locations (aggregates add up) and, beside it, a sharded deployment (hashmod split, each target probed once).
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { freePort } from './free-port';
import { exitOnUserError, UserError } from '../config/errors';
import { startSimulator, type RunningSimulator } from '../simulator/server';
import { splitTargetsFile } from '../monitors/scale-out/shard';
import { percentile, processUsage, round, stopChild } from './bench-common';
import { spawnBenchTarget } from './bench-target';
import { writeSyntheticTargets } from './targets-file';

const repoRoot = path.resolve(__dirname, '..');
const exampleConfig = path.join(repoRoot, 'monitors', 'scale-out', 'prometheus.yml');
const shardedConfig = path.join(repoRoot, 'monitors', 'scale-out', 'prometheus-sharded.yml');
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

/** Where a demo's lines go: stdout, or a buffer printed once the demo that runs beside it has printed its own. */
type Log = (line: string) => void;

/** Polls each check until it passes or the deadline; logs `ok  NAME` for each. */
async function runChecks(checks: Array<[string, () => Promise<string | undefined>]>, deadline: number, what: string, log: Log): Promise<void> {
  for (const [name, check] of checks) {
    let problem: string | undefined = 'not checked';
    while (Date.now() < deadline) {
      problem = await check().catch((error: unknown) => (error instanceof Error ? error.message : String(error)));
      if (!problem) break;
      await sleep(500);
    }
    if (problem) throw new UserError(`${what} check failed: ${name}: ${problem}`);
    log(`ok  ${name}`);
  }
}

function startPrometheus(config: unknown, dir: string, port: number, children: ChildProcess[]): string {
  const configFile = path.join(dir, `prometheus-${port}.yml`);
  fs.writeFileSync(configFile, YAML.stringify(config));
  children.push(
    spawn(
      prometheusBinary,
      [`--config.file=${configFile}`, `--storage.tsdb.path=${path.join(dir, `data-${port}`)}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=error'],
      { stdio: 'ignore' },
    ),
  );
  return `http://127.0.0.1:${port}`;
}

interface ShardOptions {
  shards: number;
  targets: number;
  intervalSeconds: number;
  /** Seconds over which each exporter's CPU, RSS and /metrics time are measured once every check passed (0: none). */
  measureSeconds: number;
}

/**
 * The sharded deployment of monitors/scale-out/prometheus-sharded.yml: `targets` targets split over `shards` exporters
 * with Prometheus' hashmod (monitors/scale-out/shard.ts), loopback APIs answering every id, one Prometheus scraping
 * the shards. Checks every target is probed by exactly one exporter, the one Prometheus' hashmod names.
 */
async function shardedDemo(options: ShardOptions, dir: string, children: ChildProcess[], log: Log): Promise<void> {
  const token = crypto.randomBytes(16).toString('hex');
  const apis = [await spawnBenchTarget(token), await spawnBenchTarget(token)];
  children.push(...apis.map((api) => api.child));
  const allTargets = path.join(dir, 'targets.yml');
  writeSyntheticTargets(allTargets, options.targets, apis, 'SHARD_DEMO_TOKEN');
  const files = splitTargetsFile(allTargets, options.shards, path.join(dir, 'shards'));
  const ports: number[] = [];
  const exporters: ChildProcess[] = [];
  for (const file of files) {
    const port = await freePort();
    ports.push(port);
    const exporter = spawn(process.execPath, ['--import', 'tsx', 'monitors/exporter/cli.ts'], {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        MONITOR_TARGETS_FILE: file,
        SHARD_DEMO_TOKEN: token,
        MONITOR_PORT: String(port),
        MONITOR_HOST: '127.0.0.1',
        PROBE_INTERVAL_SECONDS: String(options.intervalSeconds),
      },
      stdio: 'ignore',
    });
    exporters.push(exporter);
    children.push(exporter);
  }
  // The example as shipped, its shard addresses pointed at this run's exporters, one per shard, and the demo's clocks.
  const config = YAML.parse(fs.readFileSync(shardedConfig, 'utf8')) as {
    global: Record<string, string>;
    rule_files: string[];
    scrape_configs: Array<{
      scrape_timeout?: string;
      static_configs: Array<{ targets: string[]; labels: Record<string, string> }>;
      metric_relabel_configs?: unknown[];
    }>;
  };
  const scrapeInterval = `${Math.max(1, Math.min(15, options.intervalSeconds))}s`;
  config.global = { scrape_interval: scrapeInterval, evaluation_interval: scrapeInterval };
  config.rule_files = config.rule_files.map((file) => path.resolve(path.dirname(shardedConfig), file));
  const job = config.scrape_configs[0]!;
  // Prometheus refuses a scrape timeout above the interval; the example's 10 s is for its 15 s clock.
  job.scrape_timeout = scrapeInterval === '15s' ? '10s' : scrapeInterval;
  const template = job.static_configs[0]!;
  job.static_configs = ports.map((port, shard) => ({ targets: [`127.0.0.1:${port}`], labels: { ...template.labels, shard: String(shard) } }));
  // For the check only: Prometheus' own hashmod of each series' target, to compare with the shard that reports it.
  job.metric_relabel_configs = [{ source_labels: ['target'], modulus: options.shards, target_label: 'hashmod_shard', action: 'hashmod' }];

  if (options.measureSeconds > 0) {
    // Measured before Prometheus' checks, after one interval of probing: the figures stand even if this machine is too
    // busy for Prometheus to ingest every shard in time (it shares the two cores here; in production it has its own host).
    for (const port of ports) {
      for (let tries = 0; tries < 600; tries++) {
        if (
          await fetch(`http://127.0.0.1:${port}/healthz`).then(
            (r) => r.ok,
            () => false,
          )
        )
          break;
        await sleep(200);
      }
    }
    await sleep((options.intervalSeconds + 5) * 1000);
    const before = exporters.map((e) => processUsage(e.pid!).cpuSeconds);
    const began = performance.now();
    const times: number[][] = ports.map(() => []);
    while (performance.now() - began < options.measureSeconds * 1000) {
      for (const [index, port] of ports.entries()) {
        const t = performance.now();
        await (await fetch(`http://127.0.0.1:${port}/metrics`)).arrayBuffer();
        times[index]!.push(performance.now() - t);
      }
      await sleep(5_000);
    }
    const elapsed = (performance.now() - began) / 1000;
    exporters.forEach((exporter, shard) => {
      const usage = processUsage(exporter.pid!);
      log(
        `shard ${shard}: CPU ${round(((usage.cpuSeconds - before[shard]!) / elapsed) * 100, 1)} % of a core, RSS ${round(usage.rssBytes / 2 ** 20, 1)} MiB, ` +
          `/metrics p50 ${round(percentile(times[shard]!, 0.5), 1)} ms, p99 ${round(percentile(times[shard]!, 0.99), 1)} ms over ${times[shard]!.length} scrapes (load ${os.loadavg()[0]!.toFixed(2)})`,
      );
    });
  }
  const prometheusUrl = startPrometheus(config, dir, await freePort(), children);

  const n = String(options.targets);
  const expression = 'customer_api_probes_total{job="customer-api-exporter",operation="getCustomer"}';
  await runChecks(
    [
      [
        `all ${options.shards} shards are up`,
        async () => {
          const up = await query(prometheusUrl, 'up{job="customer-api-exporter"}');
          return up.length === options.shards && up.every((u) => u.value[1] === '1')
            ? undefined
            : `up by shard: ${up.map((u) => `${u.metric.shard}=${u.value[1]}`).join(', ') || 'no scrape yet'}`;
        },
      ],
      [
        `the shards together probe all ${n} targets`,
        async () => ((await query(prometheusUrl, `count(${expression} > 0)`))[0]?.value[1] === n ? undefined : 'not every target probed yet'),
      ],
      [
        'no target is probed by two shards',
        async () => ((await query(prometheusUrl, `count(count by (target) (${expression}) > 1)`)).length === 0 ? undefined : 'a target appears in two shards'),
      ],
      [
        "each target's shard is the one Prometheus' hashmod relabelling gives it",
        async () => {
          const groups = await query(prometheusUrl, `count by (shard, hashmod_shard) (${expression})`);
          const wrong = groups.filter((g) => g.metric.shard !== g.metric.hashmod_shard);
          return groups.length === options.shards && wrong.length === 0
            ? undefined
            : `shard/hashmod pairs: ${groups.map((g) => `${g.metric.shard}/${g.metric.hashmod_shard}=${g.value[1]}`).join(', ')}`;
        },
      ],
    ],
    // Exporters of thousands of targets take a while to start on a busy machine, and the first scrape waits for a slot.
    Date.now() + Math.max(90_000, options.intervalSeconds * 12_000),
    'sharded',
    log,
  );
  log(`scale-out: ${options.shards} shards, ${n} targets every ${options.intervalSeconds} s, each probed by exactly one exporter (Prometheus' hashmod)`);
}

/** Two exporters in two locations probing one simulator, one Prometheus: the cross-location aggregates add up. */
async function locationsDemo(simulator: RunningSimulator, dir: string, children: ChildProcess[], log: Log): Promise<void> {
  const primary = simulator.customer('primary');
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
  const prometheus = spawn(
    prometheusBinary,
    [`--config.file=${configFile}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${prometheusPort}`, '--log.level=error'],
    { stdio: 'ignore' },
  );
  children.push(prometheus);
  const prometheusUrl = `http://127.0.0.1:${prometheusPort}`;

  const checks: Array<[string, () => Promise<string | undefined>]> = [
    [
      'both exporters are up',
      async () => ((await query(prometheusUrl, 'count(up{job="customer-api-exporter"} == 1)'))[0]?.value[1] === '2' ? undefined : 'not yet 2'),
    ],
    [
      'each location reports its own probes',
      async () =>
        (await query(prometheusUrl, 'count(count by (location) (customer_api_probes_total{operation="getCustomer"}))'))[0]?.value[1] === '2'
          ? undefined
          : 'not yet 2 locations',
    ],
    [
      'customer_api:probes:rate5m sums the locations',
      async () => {
        const [aggregate] = await query(prometheusUrl, 'customer_api:probes:rate5m{target="default",operation="getCustomer"}');
        const [sum] = await query(
          prometheusUrl,
          'sum(rate(customer_api_probes_total{job="customer-api-exporter",target="default",operation="getCustomer"}[5m]))',
        );
        if (!aggregate || !sum) return 'no series yet';
        const a = Number(aggregate.value[1]);
        const b = Number(sum.value[1]);
        if (aggregate.metric.location !== undefined) return 'the aggregate still carries a location label';
        return a > 0 && Math.abs(a - b) <= b * 0.2 ? undefined : `aggregate ${a} vs per-location sum ${b}`;
      },
    ],
    [
      'customer_api:probe_success:avg is 1 (every location succeeds)',
      async () =>
        (await query(prometheusUrl, 'customer_api:probe_success:avg{target="default",operation="getCustomer"}'))[0]?.value[1] === '1' ? undefined : 'not 1',
    ],
    [
      'the merged latency histogram answers a p95',
      async () =>
        (await query(prometheusUrl, 'histogram_quantile(0.95, customer_api:probe_duration_seconds_bucket:rate5m{target="default",operation="getCustomer"})'))
          .length === 1
          ? undefined
          : 'no p95',
    ],
  ];
  await runChecks(checks, Date.now() + 60_000, 'scale-out', log);
  log('scale-out: two exporters, one Prometheus, aggregated series present and consistent');
}

function demoOptions(args: string[]): ShardOptions {
  const value = (flag: string, fallback: number): number => {
    const index = args.indexOf(flag);
    if (index < 0) return fallback;
    const parsed = Number(args[index + 1]);
    if (!Number.isInteger(parsed) || parsed < (flag === '--measure-seconds' ? 0 : 1))
      throw new UserError(`${flag} needs a whole number, not ${JSON.stringify(args[index + 1] ?? '')}`);
    return parsed;
  };
  const known = ['--shards', '--targets', '--interval', '--measure-seconds'];
  for (let i = 0; i < args.length; i += 2) {
    if (!known.includes(args[i]!)) throw new UserError(`unknown option ${args[i]}: use ${known.join(', ')} (each with a whole number)`);
  }
  return {
    shards: value('--shards', 2),
    targets: value('--targets', 40),
    intervalSeconds: value('--interval', 1),
    measureSeconds: value('--measure-seconds', 0),
  };
}

const usage = `npm run scale-out:demo [-- options]

Starts the embedded simulator, two exporters in two locations and one Prometheus (the cross-location aggregates must add
up) and, at the same time (one after the other with --measure-seconds), a sharded deployment: N exporters over one
targets file split with Prometheus' hashmod, each target probed by exactly one exporter. Needs Debian's prometheus. Everything listens on 127.0.0.1 and stops by itself.

Options (each takes a whole number):
  --shards N            exporters in the sharded deployment (default 2)
  --targets N           targets in the sharded deployment (default 40)
  --interval N          probe interval of the sharded exporters, in seconds (default 1)
  --measure-seconds N   also measure each shard's CPU, RSS and /metrics time for N seconds (default 0: no measurement)
  --help                this text

Exit 0: every check passed; 1: a check failed; 2: a usage error or a missing binary.`;

async function main(): Promise<void> {
  if (process.argv.slice(2).some((arg) => arg === '--help' || arg === '-h')) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  let shardOptions: ShardOptions;
  try {
    shardOptions = demoOptions(process.argv.slice(2));
  } catch (error) {
    // A usage mistake is exit 2, like every other command here; a failed check is exit 1.
    return exitOnUserError(error, 2);
  }
  if (!fs.existsSync(prometheusBinary)) throw new UserError(`${prometheusBinary} is missing: apt-get install prometheus`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scale-out-'));
  const children: ChildProcess[] = [];
  const simulator = await startSimulator();
  try {
    if (shardOptions.measureSeconds > 0) {
      // Measuring: one deployment at a time, so the shards' CPU figures are theirs alone.
      await locationsDemo(simulator, dir, children, console.log);
      await shardedDemo(shardOptions, dir, children, console.log);
    } else {
      // Both deployments at once (they share nothing but the machine; most of each is waiting for probes, scrapes and
      // evaluations), each demo's lines printed in order once it is done.
      const lines: string[][] = [[], []];
      const results = await Promise.allSettled([
        locationsDemo(simulator, dir, children, (line) => lines[0]!.push(line)),
        shardedDemo(shardOptions, dir, children, (line) => lines[1]!.push(line)),
      ]);
      for (const line of lines.flat()) console.log(line);
      for (const result of results) if (result.status === 'rejected') throw result.reason;
    }
  } finally {
    // Waits for each to exit (a Prometheus holding a big head block takes seconds), SIGKILL after 10 s.
    await Promise.all(children.map((child) => stopChild(child)));
    await simulator.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => exitOnUserError(error, 1));
