// The scale benchmark: one exporter probing 10,000 targets every 15 s on loopback — CPU, /metrics time against its floors, RSS, schedule delay.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import {
  loadAverage,
  percentile,
  processUsage,
  round,
  sleep,
  spawnProgram,
  stopChild,
  waitForOk,
  withLoad,
  type LoadedFigure,
  type Figure,
} from './bench-common';
import { promClientRenderMs, startStaticServer, timedGet } from './bench-scrape';
import { spawnBenchTarget } from './bench-target';
import { mainThreadProfile, topCosts } from './cpu-profile';
import { freePort } from './free-port';
import { writeSyntheticTargets } from './targets-file';

/** How one scale run is shaped. */
export interface ScaleOptions {
  targets: number;
  intervalSeconds: number;
  /** Seconds measured after the warm-up. */
  windowSeconds: number;
  /** Loopback target processes the targets are spread over. */
  targetServers: number;
  /** Write a `node --cpu-prof` profile of the exporter and quote its top costs. */
  profile: boolean;
  /** The exporter's CLI, e.g. another checkout's, to compare before and after in the same conditions. */
  exporterScript: string;
  /** Also time prom-client rendering as many plain series (in this process, after the window; seconds at 10,000 targets). */
  promClient: boolean;
}

export const defaultScaleOptions: ScaleOptions = {
  targets: 10_000,
  intervalSeconds: 15,
  windowSeconds: 60,
  targetServers: 2,
  profile: false,
  exporterScript: 'monitors/exporter/cli.ts',
  promClient: true,
};

/** What one /metrics scrape showed: how long it took, its size, and the counters the bench reads from it. */
interface Scrape {
  ms: number;
  bytes: number;
  body: Buffer;
  series: number;
  probes: number;
  /** customer_api_probe_schedule_delay_seconds: cumulative bucket counts by upper bound, and the count. */
  delayBuckets: Map<number, number>;
  delayCount: number;
}

/** Reads only what the bench needs from a large exposition, without a full parse (it can be 50 MB). */
function readScrape(body: Buffer, ms: number): Scrape {
  const text = body.toString('latin1');
  let series = 0;
  let probes = 0;
  const delayBuckets = new Map<number, number>();
  let delayCount = 0;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (text.charCodeAt(start) !== 35 /* # */ && end > start) {
      series += 1;
      if (text.startsWith('customer_api_probes_total{', start)) {
        probes += Number(text.slice(text.lastIndexOf(' ', end) + 1, end));
      } else if (text.startsWith('customer_api_probe_schedule_delay_seconds_', start)) {
        const line = text.slice(start, end);
        const value = Number(line.slice(line.lastIndexOf(' ') + 1));
        const le = /le="([^"]+)"/.exec(line)?.[1];
        if (line.startsWith('customer_api_probe_schedule_delay_seconds_bucket') && le !== undefined)
          delayBuckets.set(le === '+Inf' ? Infinity : Number(le), value);
        else if (line.startsWith('customer_api_probe_schedule_delay_seconds_count')) delayCount = value;
      }
    }
    start = end + 1;
  }
  return { ms, bytes: text.length, body, series, probes, delayBuckets, delayCount };
}

/** One whole scrape kept for reading (its time includes this client's collecting of the body: timedGet is the figure). */
async function scrape(url: string): Promise<Scrape> {
  const started = performance.now();
  const { body, ms } = await new Promise<{ body: Buffer; ms: number }>((resolve, reject) => {
    http
      .get(url, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const elapsed = performance.now() - started;
          if (res.statusCode === 200) resolve({ body: Buffer.concat(chunks), ms: elapsed });
          else reject(new Error(`${url} answered ${res.statusCode}`));
        });
        res.on('error', reject);
      })
      .on('error', reject);
  });
  return readScrape(body, ms);
}

/** histogram_quantile over the difference of two scrapes' buckets (linear within a bucket, as Prometheus does). */
function delayQuantile(first: Scrape, last: Scrape, q: number): { quantile: number; overOneSecond: number; count: number } {
  const bounds = [...last.delayBuckets.keys()].sort((a, b) => a - b);
  const count = last.delayCount - first.delayCount;
  const at = (bound: number): number => (last.delayBuckets.get(bound) ?? 0) - (first.delayBuckets.get(bound) ?? 0);
  const overOneSecond = count - at(1);
  if (count <= 0) return { quantile: NaN, overOneSecond: 0, count: 0 };
  const rank = q * count;
  let previousBound = 0;
  let previousCount = 0;
  for (const bound of bounds) {
    const c = at(bound);
    if (c >= rank) {
      if (bound === Infinity) return { quantile: previousBound, overOneSecond, count };
      return { quantile: previousBound + (bound - previousBound) * ((rank - previousCount) / Math.max(1, c - previousCount)), overOneSecond, count };
    }
    previousBound = bound;
    previousCount = c;
  }
  return { quantile: NaN, overOneSecond, count };
}

async function timed(url: string): Promise<{ ms: number; bytes: number }> {
  const started = performance.now();
  const body = await (await fetch(url)).arrayBuffer();
  return { ms: performance.now() - started, bytes: body.byteLength };
}

/** One exporter, `targets` targets over `targetServers` loopback APIs, every `intervalSeconds`; the figures of one window. */
export async function benchScale(options: ScaleOptions = defaultScaleOptions): Promise<Figure[]> {
  const section = 'scale';
  const token = crypto.randomBytes(16).toString('hex');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-scale-'));
  const servers: Array<{ child: ChildProcess; baseUrl: string }> = [];
  let exporter: ChildProcess | undefined;
  let staticServer: ChildProcess | undefined;
  try {
    for (let i = 0; i < options.targetServers; i++) servers.push(await spawnBenchTarget(token));
    const targetsFile = path.join(dir, 'targets.yml');
    writeSyntheticTargets(targetsFile, options.targets, servers, 'BENCH_TOKEN');
    const port = await freePort();
    const profileDir = path.join(dir, 'profile');
    exporter = spawnProgram(
      options.exporterScript,
      {
        MONITOR_TARGETS_FILE: targetsFile,
        BENCH_TOKEN: token,
        MONITOR_PORT: String(port),
        MONITOR_HOST: '127.0.0.1',
        PROBE_INTERVAL_SECONDS: String(options.intervalSeconds),
      },
      options.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
    );
    let exporterLog = '';
    exporter.stderr?.on('data', (chunk: Buffer) => (exporterLog = (exporterLog + chunk.toString()).slice(-4000)));
    const base = `http://127.0.0.1:${port}`;
    const startedAt = performance.now();
    await waitForOk(`${base}/healthz`, 'the exporter', exporter, 120_000);
    const startupSeconds = (performance.now() - startedAt) / 1000;
    // Warm-up: one whole interval (every pair probed once, JIT warm) and a few seconds for the first slots to settle.
    await sleep((options.intervalSeconds + 5) * 1000);

    const pid = exporter.pid!;
    const serverPids = servers.map((s) => s.child.pid!);
    const first = await scrape(`${base}/metrics`);
    // The floor: the same bytes from a static buffer in a plain node:http process, read by the same client in turn.
    const bodyFile = path.join(dir, 'metrics.txt');
    fs.writeFileSync(bodyFile, first.body);
    const floor = await startStaticServer(bodyFile);
    staticServer = floor.child;
    const cpuStart = processUsage(pid).cpuSeconds;
    const serverCpuStart = serverPids.reduce((sum, p) => sum + processUsage(p).cpuSeconds, 0);
    const began = performance.now();
    const metricsMs: number[] = [];
    const floorMs: number[] = [];
    const rss: number[] = [processUsage(pid).rssBytes];
    // /metrics every 5 s: three times Prometheus' 15 s, so the figures include more rendering than a real deployment.
    while (performance.now() - began < options.windowSeconds * 1000) {
      await sleep(5_000);
      metricsMs.push((await timedGet(`${base}/metrics`)).ms);
      floorMs.push((await timedGet(floor.url)).ms);
      rss.push(processUsage(pid).rssBytes);
    }
    const last = await scrape(`${base}/metrics`);
    const elapsed = (performance.now() - began) / 1000;
    const cpu = processUsage(pid).cpuSeconds - cpuStart;
    const serverCpu = serverPids.reduce((sum, p) => sum + processUsage(p).cpuSeconds, 0) - serverCpuStart;
    const page = await timed(`${base}/`);
    const json = await timed(`${base}/status.json`);
    rss.push(processUsage(pid).rssBytes);

    const n = options.targets;
    const expectedProbes = ((n * 2) / options.intervalSeconds) * elapsed;
    const probes = last.probes - first.probes;
    const delay = delayQuantile(first, last, 0.99);
    const maxRss = Math.max(...rss);
    const mib = (bytes: number): number => round(bytes / 2 ** 20, 1);
    const at = `${n} targets every ${options.intervalSeconds} s`;
    const load = loadAverage();
    const figures: LoadedFigure[] = [
      withLoad({ section, name: `${at}: exporter start to /healthz`, value: round(startupSeconds, 1), unit: 's' }, load),
      withLoad(
        {
          section,
          name: `${at}: exporter CPU, share of one core over ${Math.round(elapsed)} s`,
          value: round((cpu / elapsed) * 100, 1),
          unit: '%',
          goal: '< 100 %',
          met: cpu / elapsed < 1,
        },
        load,
      ),
      withLoad(
        {
          section,
          name: `${at}: probes run / due in the window`,
          value: round(probes / expectedProbes, 3),
          unit: `(${probes} of ${Math.round(expectedProbes)})`,
          goal: '≥ 0.95',
          met: probes >= expectedProbes * 0.95,
        },
        load,
      ),
      withLoad(
        { section, name: `${at}: exporter CPU per probe (idle and /metrics included)`, value: probes > 0 ? round((cpu / probes) * 1000, 3) : 0, unit: 'ms' },
        load,
      ),
      withLoad(
        {
          section,
          name: `${at}: /metrics response time p50 of ${metricsMs.length} scrapes (one every 5 s, to the last byte)`,
          value: round(percentile(metricsMs, 0.5), 1),
          unit: `ms (p95 ${round(percentile(metricsMs, 0.95), 1)} ms, p99 ${round(percentile(metricsMs, 0.99), 1)} ms)`,
          goal: '< 250 ms',
          met: percentile(metricsMs, 0.5) < 250,
        },
        load,
      ),
      withLoad(
        {
          section,
          name: `${at}: floor: the same bytes from a static buffer (plain node:http process), read in turn with /metrics`,
          value: round(percentile(floorMs, 0.5), 1),
          unit: `ms p50 (p95 ${round(percentile(floorMs, 0.95), 1)} ms); /metrics / floor ${round(percentile(metricsMs, 0.5) / percentile(floorMs, 0.5), 2)}×`,
        },
        load,
      ),
      withLoad(
        { section, name: `${at}: /metrics size`, value: mib(last.bytes), unit: `MiB, ${last.series} series (${round(last.series / n, 1)} per target)` },
        load,
      ),
      withLoad(
        {
          section,
          name: `${at}: RSS, max over the window`,
          value: mib(maxRss),
          unit: `MiB (first ${mib(rss[0]!)}, last ${mib(rss[rss.length - 1]!)})`,
          goal: '< 1024 MiB',
          met: maxRss < 2 ** 30,
        },
        load,
      ),
      withLoad(
        {
          section,
          name: `${at}: probe start behind its slot, p99 of ${delay.count} (customer_api_probe_schedule_delay_seconds)`,
          value: round(delay.quantile * 1000, 1),
          unit: `ms (${delay.overOneSecond} later than 1 s)`,
          goal: '< 1000 ms',
          met: delay.quantile < 1,
        },
        load,
      ),
      withLoad({ section, name: `${at}: status page / (failing first, capped)`, value: round(page.ms, 1), unit: `ms, ${mib(page.bytes)} MiB` }, load),
      withLoad({ section, name: `${at}: /status.json (every pair, full history)`, value: round(json.ms, 1), unit: `ms, ${mib(json.bytes)} MiB` }, load),
      withLoad(
        {
          section,
          name: `${at}: the ${servers.length} loopback API process(es), CPU share of one core`,
          value: round((serverCpu / elapsed) * 100, 1),
          unit: '%',
        },
        load,
      ),
    ];
    if (exporter.exitCode !== null) process.stderr.write(`bench scale: the exporter exited early: ${exporterLog}\n`);
    if (options.promClient) {
      await stopChild(exporter, 'SIGINT');
      await stopChild(staticServer);
      const renders = await promClientRenderMs(last.series, 3);
      figures.push(
        withLoad(
          {
            section,
            name: `${at}: reference: prom-client's registry.metrics() rendering ${last.series} plain gauge series (operation, target labels), median of 3`,
            value: round(percentile(renders, 0.5), 1),
            unit: 'ms (rendering alone, nothing sent)',
          },
          loadAverage(),
        ),
      );
    }
    if (options.profile) {
      await stopChild(exporter, 'SIGINT');
      const file = mainThreadProfile(profileDir);
      if (file) {
        const kept = path.join(process.cwd(), 'reports', `exporter-${n}-targets.cpuprofile`);
        fs.mkdirSync(path.dirname(kept), { recursive: true });
        fs.copyFileSync(file, kept);
        process.stderr.write(`bench scale: CPU profile of the exporter (whole run, warm-up included): ${kept}\n`);
        for (const cost of topCosts(file, 12)) process.stderr.write(`  ${(cost.share * 100).toFixed(1).padStart(5)} %  ${cost.where}\n`);
        topCosts(file, 3).forEach((cost, index) =>
          figures.push(
            withLoad({ section, name: `${at}: profile top ${index + 1}: ${cost.where}`, value: round(cost.share * 100, 1), unit: '% of busy CPU' }, load),
          ),
        );
      }
    }
    return figures;
  } finally {
    if (exporter) await stopChild(exporter, 'SIGINT');
    if (staticServer) await stopChild(staticServer);
    await Promise.all(servers.map((s) => stopChild(s.child)));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  // Standalone: tsx tools/bench-scale.ts [targets] [windowSeconds] [--profile] [--no-prom-client] [--exporter PATH/cli.ts]
  const args = process.argv.slice(2);
  const numbers = args.filter((a) => /^\d+$/.test(a)).map(Number);
  const options: ScaleOptions = {
    ...defaultScaleOptions,
    targets: numbers[0] ?? defaultScaleOptions.targets,
    windowSeconds: numbers[1] ?? defaultScaleOptions.windowSeconds,
    profile: args.includes('--profile'),
    promClient: !args.includes('--no-prom-client'),
    exporterScript: args.includes('--exporter') ? path.resolve(args[args.indexOf('--exporter') + 1]!) : defaultScaleOptions.exporterScript,
  };
  benchScale(options).then(
    (figures) => process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}
