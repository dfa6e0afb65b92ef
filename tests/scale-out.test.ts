// The scale-out example works as shipped: two exporters, one Prometheus, aggregated series present and consistent.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test, expect } from '@playwright/test';

const repoRoot = path.resolve(__dirname, '..');

test('npm run scale-out:demo finds the cross-location aggregates', () => {
  test.skip(!fs.existsSync('/usr/bin/prometheus') && !process.env.CI, 'Prometheus is not installed: apt-get install prometheus');
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'tools/scale-out-demo.ts'], { cwd: repoRoot, encoding: 'utf8', timeout: 110_000 });
  expect(run.status, `scale-out demo failed:\n${run.stdout}\n${run.stderr}`).toBe(0);
  expect(run.stdout).toContain('ok  customer_api:probes:rate5m sums the locations');
  expect(run.stdout).toContain('ok  customer_api:probe_success:avg is 1 (every location succeeds)');
});
