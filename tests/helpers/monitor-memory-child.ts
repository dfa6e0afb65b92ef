// Child process for the memory test (needs --expose-gc): runs thousands of scheduled probes and prints heap figures as JSON.
import { startExporter } from '../../monitors/exporter/server';
import { startSimulator } from '../../simulator/server';
import { samplesOf } from '../../tools/exposition';
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

/** customer_api_probe_failures_total summed over targets and operations, by reason. */
function failuresByReason(metricsText: string): Record<string, number> {
  const byReason: Record<string, number> = {};
  for (const sample of samplesOf(metricsText, 'customer_api_probe_failures_total')) {
    const reason = sample.labels.reason ?? '';
    byReason[reason] = (byReason[reason] ?? 0) + sample.value;
  }
  return byReason;
}

async function main(): Promise<void> {
  const warmup = Number(process.env.MEMORY_WARMUP_PROBES ?? 500);
  const measured = Number(process.env.MEMORY_MEASURED_PROBES ?? 3000);
  const oversized = Number(process.env.MEMORY_OVERSIZED_PROBES ?? 60);
  const sim = await startSimulator();
  // Four targets × two operations at 40 ms: ~200 probes/s against one in-process simulator.
  const targets = ['a', 'b', 'c', 'd'].map((name) => simulatorTarget(sim, { name }));
  const exporter = await startExporter({
    targets,
    settings: { intervalSeconds: 0.04, timeoutSeconds: 0.035, jitterSeconds: 0.004 },
    port: 0,
    defaultMetrics: false,
    log: () => undefined,
  });
  // The window is counted in successful probes, so a loaded machine (where some 35 ms probes time out) only makes the
  // run longer: the heap figure always covers `measured` full success paths (read, parse, validate, record).
  const probes = (): number => exporter.runner.states().reduce((n, s) => n + s.probes, 0);
  const successes = (): number => exporter.runner.states().reduce((n, s) => n + s.successes, 0);
  const until = async (n: number): Promise<void> => {
    while (successes() < n) await new Promise((r) => setTimeout(r, 20));
  };
  await until(warmup);
  const before = await settledHeap();
  const rssBefore = process.memoryUsage().rss;
  const startedAt = successes();
  const probesAtStart = probes();
  await until(startedAt + measured);
  // Scrape a few times too: the registry must not grow with probes either.
  for (let i = 0; i < 5; i++) await (await fetch(`${exporter.url}/metrics`)).text();
  const after = await settledHeap();
  const total = probes();
  const measuredSuccesses = successes() - startedAt;
  const metricsText = await (await fetch(`${exporter.url}/metrics`)).text();
  const failures = failuresByReason(metricsText);
  await exporter.stop();
  // Oversized bodies (5 MiB each from the simulator, read no further than the 1 MiB cap), on an exporter with room
  // for the simulator to build them: these must fail as reason="other", not time out.
  sim.setMode('oversized-body');
  const big = await startExporter({
    targets: targets.slice(0, 1),
    settings: { intervalSeconds: 0.25, timeoutSeconds: 0.24, jitterSeconds: 0.01 },
    port: 0,
    defaultMetrics: false,
    log: () => undefined,
  });
  // Counted in probes that hit the cap (reason="other"), for the same reason: timeouts under load only take longer.
  const capped = async (): Promise<number> => {
    const text = await (await fetch(`${big.url}/metrics`)).text();
    return Number(/^customer_api_probe_failures_total\{.*reason="other"\} (\d+)/m.exec(text)?.[1] ?? 0);
  };
  while ((await capped()) < oversized) await new Promise((r) => setTimeout(r, 50));
  const bigProbes = (): number => big.runner.states().reduce((n, s) => n + s.probes, 0);
  const bigText = await (await fetch(`${big.url}/metrics`)).text();
  await big.stop();
  const oversizedFailures = Object.fromEntries(Object.entries(failuresByReason(bigText)).filter(([, count]) => count > 0));
  // Let the simulator finish (and drop) responses it was still writing to closed sockets.
  await new Promise((r) => setTimeout(r, 500));
  const afterOversized = await settledHeap();
  await sim.stop();
  process.stdout.write(
    `${JSON.stringify({ warmup, measured: measuredSuccesses, probesInWindow: total - probesAtStart, total, failures, heapBefore: before, heapAfter: after, heapAfterOversized: afterOversized, oversized: bigProbes(), oversizedFailures, rssBefore, rssAfter: process.memoryUsage().rss })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
