// Memory stays flat over thousands of probes, and 5 MiB bodies are never held: measured in a child with --expose-gc.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { repoRoot } from './helpers/monitor-harness';

interface MemoryFigures {
  measured: number;
  failures: Record<string, number>;
  heapBefore: number;
  heapAfter: number;
  heapAfterOversized: number;
  oversized: number;
  oversizedFailures: Record<string, number>;
}

const mib = 1024 * 1024;

test('heap after GC stays flat over 3000 scheduled probes and 60 oversized 5 MiB bodies', async () => {
  test.setTimeout(120_000);
  const output = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', path.join(repoRoot, 'tests/helpers/monitor-memory-child.ts')],
      { cwd: repoRoot, env: { PATH: process.env.PATH ?? '', MEMORY_WARMUP_PROBES: '1000', MEMORY_MEASURED_PROBES: '3000' }, timeout: 100_000 },
      (error, stdout, stderr) => (error ? reject(new Error(`memory child failed: ${stderr}`)) : resolve(stdout)),
    );
  });
  const figures = JSON.parse(output.trim().split('\n').pop()!) as MemoryFigures;
  const failed = Object.values(figures.failures).reduce((a, b) => a + b, 0);
  test.info().annotations.push({
    type: 'measured',
    description: `heap after GC: ${(figures.heapBefore / mib).toFixed(1)} MiB before, ${(figures.heapAfter / mib).toFixed(1)} MiB after ${figures.measured} probes, ${(figures.heapAfterOversized / mib).toFixed(1)} MiB after 60 oversized 5 MiB bodies; failures ${JSON.stringify(figures.failures)}`,
  });
  expect(figures.measured, 'probes run').toBeGreaterThanOrEqual(3000);
  expect(failed, 'nearly every probe succeeded (a few loopback timeouts under load are fine)').toBeLessThan(figures.measured * 0.1);
  // Warm-up effects (JIT, ajv caches) are ~2 MiB whatever the count; a per-probe leak of even 1 KiB would be 3 MiB more.
  expect(figures.heapAfter - figures.heapBefore, 'heap growth over 3000 probes').toBeLessThan(5 * mib);
  // A loaded machine may time some out while the simulator builds 5 MiB; most must hit the cap.
  expect(figures.oversizedFailures.other ?? 0, 'oversized bodies fail as reason="other"').toBeGreaterThanOrEqual(figures.oversized / 2);
  expect(figures.heapAfterOversized - figures.heapBefore, `heap growth after ${figures.oversized} × 5 MiB bodies`).toBeLessThan(5 * mib);
});
