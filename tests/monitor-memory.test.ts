// Memory stays flat over thousands of probes, and 5 MiB bodies are never held: measured in a child with --expose-gc.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { repoRoot } from './helpers/monitor-harness';

interface MemoryFigures {
  /** Probes in the measured window (all successful unless `failures` says otherwise). */
  measured: number;
  warmupFailures: Record<string, number>;
  failures: Record<string, number>;
  heapBefore: number;
  heapAfter: number;
  heapAfterOversized: number;
  oversized: number;
  /** Outcome of each oversized probe, by reason ("success" if one passed). */
  oversizedFailures: Record<string, number>;
}

const mib = 1024 * 1024;
const measuredProbes = 3000;
const oversizedProbes = 60;

// Nothing here depends on the machine's speed: the child drives its probes back to back and counts them (no schedule,
// no probe timeout a busy machine could reach, no limit on the child's run time), so load only makes the run longer.
test(`heap after GC stays flat over ${measuredProbes} successful probes and ${oversizedProbes} oversized 5 MiB bodies`, async () => {
  test.setTimeout(0);
  const output = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', path.join(repoRoot, 'tests/helpers/monitor-memory-child.ts')],
      {
        cwd: repoRoot,
        env: {
          PATH: process.env.PATH ?? '',
          MEMORY_WARMUP_PROBES: '500',
          MEMORY_MEASURED_PROBES: String(measuredProbes),
          MEMORY_OVERSIZED_PROBES: String(oversizedProbes),
        },
      },
      (error, stdout, stderr) => (error ? reject(new Error(`memory child failed: ${stderr}`)) : resolve(stdout)),
    );
  });
  const figures = JSON.parse(output.trim().split('\n').pop()!) as MemoryFigures;
  test.info().annotations.push({
    type: 'measured',
    description: `heap after GC: ${(figures.heapBefore / mib).toFixed(1)} MiB before, ${(figures.heapAfter / mib).toFixed(1)} MiB after ${figures.measured} probes, ${(figures.heapAfterOversized / mib).toFixed(1)} MiB after ${figures.oversized} oversized 5 MiB bodies`,
  });
  expect(figures.measured, 'probes in the window').toBe(measuredProbes);
  // No probe can time out (the child's timeout is far beyond any probe), so every failure against the faithful simulator is a bug.
  expect(figures.warmupFailures, 'failures during warm-up').toEqual({});
  expect(figures.failures, 'failures in the measured window').toEqual({});
  // Warm-up effects (JIT, ajv caches) are ~2 MiB whatever the count; a per-probe leak of even 1 KiB would be 3 MiB more.
  expect(figures.heapAfter - figures.heapBefore, `heap growth over ${measuredProbes} probes`).toBeLessThan(5 * mib);
  expect(figures.oversizedFailures, 'every oversized body fails as reason="other" (read no further than the cap)').toEqual({ other: oversizedProbes });
  expect(figures.heapAfterOversized - figures.heapBefore, `heap growth after ${figures.oversized} × 5 MiB bodies`).toBeLessThan(5 * mib);
});
