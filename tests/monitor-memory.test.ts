// Memory stays flat over thousands of probes, and 5 MiB bodies are never held: measured in a child with --expose-gc.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { repoRoot } from './helpers/monitor-harness';

interface MemoryFigures {
  /** Successful probes in the measured window (the window is counted in successes). */
  measured: number;
  /** Every probe in the window, timed-out ones included. */
  probesInWindow: number;
  failures: Record<string, number>;
  heapBefore: number;
  heapAfter: number;
  heapAfterOversized: number;
  oversized: number;
  oversizedFailures: Record<string, number>;
}

const mib = 1024 * 1024;

// Nothing here depends on the machine's speed: the child counts its window in successful probes and the oversized phase
// in probes that hit the cap, so a loaded machine (where some 35 ms probes time out) only makes the run take longer.
test('heap after GC stays flat over 3000 successful scheduled probes and 60 oversized 5 MiB bodies', async () => {
  test.setTimeout(400_000);
  const output = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', path.join(repoRoot, 'tests/helpers/monitor-memory-child.ts')],
      { cwd: repoRoot, env: { PATH: process.env.PATH ?? '', MEMORY_WARMUP_PROBES: '1000', MEMORY_MEASURED_PROBES: '3000' }, timeout: 380_000 },
      (error, stdout, stderr) => (error ? reject(new Error(`memory child failed: ${stderr}`)) : resolve(stdout)),
    );
  });
  const figures = JSON.parse(output.trim().split('\n').pop()!) as MemoryFigures;
  test.info().annotations.push({
    type: 'measured',
    description: `heap after GC: ${(figures.heapBefore / mib).toFixed(1)} MiB before, ${(figures.heapAfter / mib).toFixed(1)} MiB after ${figures.measured} probes, ${(figures.heapAfterOversized / mib).toFixed(1)} MiB after 60 oversized 5 MiB bodies; failures ${JSON.stringify(figures.failures)}`,
  });
  expect(figures.measured, 'successful probes in the window').toBeGreaterThanOrEqual(3000);
  // Timeouts depend on the machine's load and are allowed; any other failure against the faithful simulator is a bug.
  const { timeout: _timeouts, ...otherFailures } = figures.failures;
  expect(
    Object.entries(otherFailures).filter(([, n]) => n > 0),
    'failures other than timeouts',
  ).toEqual([]);
  // Warm-up effects (JIT, ajv caches) are ~2 MiB whatever the count; a per-probe leak of even 1 KiB would be 3 MiB more.
  expect(figures.heapAfter - figures.heapBefore, 'heap growth over 3000 probes').toBeLessThan(5 * mib);
  // Counted until 60 probes hit the cap; a loaded machine may also time some out while the simulator builds 5 MiB.
  expect(figures.oversizedFailures.other ?? 0, 'oversized bodies fail as reason="other"').toBeGreaterThanOrEqual(60);
  const { other: _capped, timeout: _slow, ...wrongReasons } = figures.oversizedFailures;
  expect(wrongReasons, 'oversized bodies never fail for another reason').toEqual({});
  expect(figures.heapAfterOversized - figures.heapBefore, `heap growth after ${figures.oversized} × 5 MiB bodies`).toBeLessThan(5 * mib);
});
