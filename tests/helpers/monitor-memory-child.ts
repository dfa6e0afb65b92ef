// Child process for the memory test (needs --expose-gc): drives thousands of probes back to back and prints heap figures as JSON.
import type { ProbeResult } from '../../monitors/exporter/probers';
import { discardProbeLog } from '../../monitors/exporter/scheduler';
import { startExporter } from '../../monitors/exporter/server';
import { startSimulator } from '../../simulator/server';
import { simulatorTarget } from './monitor-harness';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

async function settledHeap(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc!();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage().heapUsed;
}

// Far beyond any probe of the in-process simulator, loaded machine or not: the run is counted in probes, never timed,
// so a probe that did time out would be a failure the test reports, not a figure that load moves.
const probeTimeoutMs = 60_000;

async function main(): Promise<void> {
  const warmup = Number(process.env.MEMORY_WARMUP_PROBES ?? 500);
  const measured = Number(process.env.MEMORY_MEASURED_PROBES ?? 3000);
  const oversized = Number(process.env.MEMORY_OVERSIZED_PROBES ?? 60);
  const sim = await startSimulator();
  const targets = ['a', 'b', 'c', 'd'].map((name) => simulatorTarget(sim, { name }));
  // Not scheduled: the probes are driven here, back to back (one in flight per target×operation, as the scheduler
  // allows), through the runner's own probe() (token, request, capped read, parse, validation), and each result is
  // recorded where the scheduler records it (the state's history and the metrics registry). So the count of probes,
  // not the clock, decides how long this takes, and no probe can time out because the machine is busy.
  const exporter = await startExporter({
    targets,
    settings: { intervalSeconds: 15, timeoutSeconds: 10 },
    port: 0,
    defaultMetrics: false,
    log: () => undefined,
    scheduled: false,
  });
  const states = exporter.runner.states();
  const failures: Record<string, number> = {};
  const probeOnce = async (state: (typeof states)[number]): Promise<ProbeResult> => {
    const result = await exporter.runner.probe(state.target, state.operation, probeTimeoutMs, discardProbeLog);
    const finishedAtMs = Date.now();
    state.probes += 1;
    if (result.success) state.successes += 1;
    state.last = { ...result, finishedAtMs };
    state.history.record(result, finishedAtMs);
    exporter.metrics.record(state.target, state.operation, result, finishedAtMs);
    return result;
  };
  /** `count` probes, spread over every target×operation, one in flight per pair; failures counted by reason. */
  const drive = async (count: number, tally: Record<string, number>): Promise<void> => {
    let started = 0;
    await Promise.all(
      states.map(async (state) => {
        while (started < count) {
          started += 1;
          const result = await probeOnce(state);
          if (!result.success) tally[result.reason ?? 'unknown'] = (tally[result.reason ?? 'unknown'] ?? 0) + 1;
        }
      }),
    );
  };
  await drive(warmup, failures);
  const before = await settledHeap();
  const rssBefore = process.memoryUsage().rss;
  const measuredFailures: Record<string, number> = {};
  await drive(measured, measuredFailures);
  // Scrape a few times too: the registry must not grow with probes either.
  for (let i = 0; i < 5; i++) await (await fetch(`${exporter.url}/metrics`)).text();
  const after = await settledHeap();
  // Oversized bodies (5 MiB each from the simulator, read no further than the 1 MiB cap): these must fail as reason="other".
  sim.setMode('oversized-body');
  const oversizedFailures: Record<string, number> = {};
  const firstOnly = states.slice(0, 1);
  for (let i = 0; i < oversized; i++) {
    const result = await probeOnce(firstOnly[0]!);
    const reason = result.success ? 'success' : (result.reason ?? 'unknown');
    oversizedFailures[reason] = (oversizedFailures[reason] ?? 0) + 1;
  }
  await exporter.stop();
  // Let the simulator finish (and drop) responses it was still writing to closed sockets.
  await new Promise((r) => setTimeout(r, 500));
  const afterOversized = await settledHeap();
  await sim.stop();
  process.stdout.write(
    `${JSON.stringify({ warmup, measured, warmupFailures: failures, failures: measuredFailures, heapBefore: before, heapAfter: after, heapAfterOversized: afterOversized, oversized, oversizedFailures, rssBefore, rssAfter: process.memoryUsage().rss })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
