// The scale-out example works as shipped: two exporters, one Prometheus, aggregated series present and consistent.
import { test, expect } from '@playwright/test';
import { requireBinary } from './helpers/binaries';
import { runProcess, tsxCommand } from './helpers/processes';

test('npm run scale-out:demo finds the cross-location aggregates', async () => {
  requireBinary('prometheus');
  const run = await runProcess(...tsxCommand('tools/scale-out-demo.ts'), { failAfterMs: 110_000 });
  expect(run.code, `scale-out demo failed:\n${run.stdout}\n${run.stderr}`).toBe(0);
  expect(run.stdout).toContain('ok  customer_api:probes:rate5m sums the locations');
  expect(run.stdout).toContain('ok  customer_api:probe_success:avg is 1 (every location succeeds)');
});
