// Exporter benchmarks: probe accuracy against blackbox_exporter on the same URL, and exporter cost at 1, 100 and 1,000 targets.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../config/errors';
import {
  blackboxBinary,
  median,
  processUsage,
  requireBlackbox,
  round,
  sleep,
  spawnProgram,
  stopChild,
  waitForOk,
  writeBlackboxConfig,
  type Figure,
} from './bench-common';
import { sampleValues } from './exposition';
import { freePort } from './free-port';

const injectedLatencySeconds = 0.05;

interface Simulator {
  child: ChildProcess;
  baseUrl: string;
  customerId: string;
  token: string;
}

/** The reference simulator in its own process, with injected latency; its primary customer's token read from its banner. */
async function startSimulatorProcess(latencyMs: number): Promise<Simulator> {
  const port = await freePort();
  const child = spawnProgram('simulator/cli.ts', { SIMULATOR_PORT: String(port), SIMULATOR_LATENCY_MS: String(latencyMs) });
  let banner = '';
  child.stdout?.on('data', (chunk: Buffer) => (banner += chunk.toString()));
  const deadline = Date.now() + 15_000;
  for (;;) {
    const match = banner.match(/^\s+(\S+) \(primary\): (\S+)$/m);
    if (match) return { child, baseUrl: `http://127.0.0.1:${port}/v2/integrations`, customerId: match[1]!, token: match[2]! };
    if (Date.now() > deadline || child.exitCode !== null) throw new UserError('the simulator did not start for the benchmark');
    await sleep(50);
  }
}

/** Our probe and blackbox_exporter's, alternately, on the same URL with the same bearer header, against 50 ms injected latency. */
export async function benchProbeAccuracy(probes = 60): Promise<Figure[]> {
  requireBlackbox();
  const simulator = await startSimulatorProcess(injectedLatencySeconds * 1000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-probe-'));
  const blackboxConfig = writeBlackboxConfig(dir, simulator.token);
  const blackboxPort = await freePort();
  const blackbox = spawn(blackboxBinary, [`--config.file=${blackboxConfig}`, `--web.listen-address=127.0.0.1:${blackboxPort}`], { stdio: 'ignore' });
  const exporterPort = await freePort();
  const exporter = spawnProgram(
    'monitors/exporter/cli.ts',
    {
      API_BASE_URL: simulator.baseUrl,
      API_CUSTOMER_ID: simulator.customerId,
      API_TOKEN: simulator.token,
      MONITOR_PORT: String(exporterPort),
      MONITOR_HOST: '127.0.0.1',
      PROBE_INTERVAL_SECONDS: '3600',
    },
    [],
    ['--probe.reuse-seconds=0'],
  );
  try {
    await waitForOk(`http://127.0.0.1:${blackboxPort}/-/healthy`, 'blackbox_exporter', blackbox, 20_000);
    await waitForOk(`http://127.0.0.1:${exporterPort}/healthz`, 'the exporter', exporter, 20_000);
    const targetUrl = `${simulator.baseUrl}/${simulator.customerId}`;
    const ours: number[] = [];
    const theirs: number[] = [];
    const phaseGaps: number[] = [];
    for (let i = 0; i < probes; i++) {
      const a = await (await fetch(`http://127.0.0.1:${exporterPort}/probe?target=default&operation=getCustomer`)).text();
      const b = await (await fetch(`http://127.0.0.1:${blackboxPort}/probe?module=customer_api&target=${encodeURIComponent(targetUrl)}`)).text();
      if (sampleValues(a, 'probe_success')[0] !== 1 || sampleValues(b, 'probe_success')[0] !== 1)
        throw new UserError('a benchmark probe failed: check the simulator');
      if (i < 5) continue; // warm-up: first connections, JIT
      const total = sampleValues(a, 'probe_duration_seconds')[0]!;
      ours.push(total);
      theirs.push(sampleValues(b, 'probe_duration_seconds')[0]!);
      const phases = sampleValues(a, 'probe_http_duration_seconds').reduce((sum, v) => sum + v, 0);
      phaseGaps.push(Math.abs(total - phases));
    }
    const ourError = median(ours) - injectedLatencySeconds;
    const theirError = median(theirs) - injectedLatencySeconds;
    const worstGap = Math.max(...phaseGaps);
    return [
      { section: 'probe', name: `our probe_duration_seconds, median of ${ours.length} (50 ms injected)`, value: round(median(ours) * 1000), unit: 'ms' },
      {
        section: 'probe',
        name: `blackbox_exporter 0.23 probe_duration_seconds, median of ${theirs.length}, same URL and header`,
        value: round(median(theirs) * 1000),
        unit: 'ms',
      },
      {
        section: 'probe',
        name: 'our error over the injected latency',
        value: round(ourError * 1000),
        unit: 'ms',
        goal: `≤ blackbox's ${round(theirError * 1000)} ms + 2 ms`,
        met: ourError <= theirError + 0.002,
      },
      {
        section: 'probe',
        name: 'worst |sum of phases − total| over all probes',
        value: round(worstGap * 1000, 3),
        unit: 'ms',
        goal: '≤ 1 ms',
        met: worstGap <= 0.001,
      },
    ];
  } finally {
    await Promise.all([stopChild(exporter), stopChild(simulator.child)]);
    blackbox.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The exporter probing N targets every 15 s: CPU share, CPU per probe, RSS over the window, /metrics time. */
async function costAt(targetCount: number, windowSeconds: number, simulator: Simulator): Promise<Figure[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-cost-'));
  const targetsFile = path.join(dir, 'targets.yml');
  const lines = ['targets:'];
  for (let i = 0; i < targetCount; i++) {
    lines.push(`  - name: t${i}`, `    base_url: ${simulator.baseUrl}`, `    customer_id: ${simulator.customerId}`, '    token_env: BENCH_TOKEN');
  }
  fs.writeFileSync(targetsFile, `${lines.join('\n')}\n`);
  const port = await freePort();
  const exporter = spawnProgram('monitors/exporter/cli.ts', {
    MONITOR_TARGETS_FILE: targetsFile,
    BENCH_TOKEN: simulator.token,
    MONITOR_PORT: String(port),
    MONITOR_HOST: '127.0.0.1',
    PROBE_INTERVAL_SECONDS: '15',
  });
  const metricsUrl = `http://127.0.0.1:${port}/metrics`;
  try {
    await waitForOk(`http://127.0.0.1:${port}/healthz`, 'the exporter', exporter, 20_000);
    await sleep(31_000); // two full intervals: every target probed twice, jitter included, caches and JIT warm
    const probesNow = async () => sampleValues(await (await fetch(metricsUrl)).text(), 'customer_api_probes_total').reduce((s, v) => s + v, 0);
    const startProbes = await probesNow();
    const start = processUsage(exporter.pid!);
    const rss: number[] = [start.rssBytes];
    const metricsTimes: number[] = [];
    const began = Date.now();
    while (Date.now() - began < windowSeconds * 1000) {
      await sleep(5_000);
      const t = performance.now();
      await (await fetch(metricsUrl)).text();
      metricsTimes.push(performance.now() - t);
      rss.push(processUsage(exporter.pid!).rssBytes);
    }
    const end = processUsage(exporter.pid!);
    const elapsed = (Date.now() - began) / 1000;
    const probes = (await probesNow()) - startProbes;
    const cpuShare = (end.cpuSeconds - start.cpuSeconds) / elapsed;
    const mib = (bytes: number) => round(bytes / 2 ** 20, 1);
    const figures: Figure[] = [
      {
        section: 'exporter',
        name: `${targetCount} target(s): CPU, share of one core over ${Math.round(elapsed)} s`,
        value: round(cpuShare * 100, 1),
        unit: '%',
        ...(targetCount === 1000 ? { goal: '< 25 %', met: cpuShare < 0.25 } : {}),
      },
      {
        section: 'exporter',
        name: `${targetCount} target(s): process CPU ÷ probes (${probes} probes; idle baseline included)`,
        value: probes > 0 ? round(((end.cpuSeconds - start.cpuSeconds) / probes) * 1000, 2) : 0,
        unit: 'ms',
      },
      {
        section: 'exporter',
        name: `${targetCount} target(s): /metrics response time, median`,
        value: round(median(metricsTimes), 1),
        unit: 'ms',
        ...(targetCount === 1000 ? { goal: '≤ 50 ms', met: median(metricsTimes) <= 50 } : {}),
      },
      {
        section: 'exporter',
        name: `${targetCount} target(s): RSS first → last sample (max)`,
        value: mib(rss[rss.length - 1]!),
        unit: `MiB (from ${mib(rss[0]!)}, max ${mib(Math.max(...rss))})`,
      },
    ];
    if (targetCount === 1000) {
      // Flat: the last third of the window grows by less than 10 % over the first third.
      const third = Math.max(1, Math.floor(rss.length / 3));
      const early = median(rss.slice(0, third));
      const late = median(rss.slice(-third));
      figures.push({
        section: 'exporter',
        name: `${targetCount} targets: RSS growth, last third vs first third of ${Math.round(elapsed)} s`,
        value: round(((late - early) / early) * 100, 1),
        unit: '%',
        goal: 'flat (< 10 %)',
        met: late < early * 1.1,
      });
    }
    return figures;
  } finally {
    await stopChild(exporter);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Exporter cost at 1, 100 and 1,000 targets against one local simulator (in its own process). */
export async function benchExporterCost(soakSeconds: number): Promise<Figure[]> {
  const simulator = await startSimulatorProcess(0);
  try {
    const figures: Figure[] = [];
    figures.push(...(await costAt(1, 20, simulator)));
    figures.push(...(await costAt(100, 20, simulator)));
    figures.push(...(await costAt(1000, soakSeconds, simulator)));
    return figures;
  } finally {
    await stopChild(simulator.child);
  }
}
