// The gate split over CI machines: two shards write blob reports, merge-reports joins them into one junit, drift and coverage report.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { repoRoot } from './helpers/run-gate';

const playwrightCli = require.resolve('@playwright/test/cli');
const workDir = path.join(repoRoot, 'reports', 'self-test', 'sharding');

function run(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, [playwrightCli, ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
  });
}

test('two shards merged give the same complete coverage and every test once', () => {
  fs.rmSync(workDir, { recursive: true, force: true });
  const collected = path.join(workDir, 'all-blob-reports');
  fs.mkdirSync(collected, { recursive: true });
  for (const shard of [1, 2]) {
    // Each shard is its own machine: its own simulator, its own blob-report folder.
    const blobDir = path.join(workDir, `machine-${shard}`, 'blob-report');
    const result = run(['test', `--shard=${shard}/2`, '--reporter=blob'], {
      CONTRACT_REPORTS_DIR: path.join(workDir, `machine-${shard}`),
      PLAYWRIGHT_BLOB_OUTPUT_DIR: blobDir,
    });
    expect(result.status, `shard ${shard}/2:\n${result.stdout}${result.stderr}`).toBe(0);
    for (const file of fs.readdirSync(blobDir)) fs.copyFileSync(path.join(blobDir, file), path.join(collected, file));
  }
  const mergedDir = path.join(workDir, 'merged');
  const merged = run(['merge-reports', '--config', 'playwright.merge.config.ts', collected], { CONTRACT_REPORTS_DIR: mergedDir });
  expect(merged.status, merged.stdout + merged.stderr).toBe(0);
  expect(merged.stdout).toMatch(/contract coverage 13\/13 · drift: 0 breaking/);
  const junit = fs.readFileSync(path.join(mergedDir, 'junit.xml'), 'utf8');
  const total = Number(run(['test', '--list'], {}).stdout.match(/Total: (\d+) tests?/)?.[1]);
  expect(total).toBeGreaterThan(20);
  expect(Number(junit.match(/<testsuites[^>]* tests="(\d+)"/)?.[1]), 'every test of the suite, once').toBe(total);
  const coverage = JSON.parse(fs.readFileSync(path.join(mergedDir, 'coverage.json'), 'utf8')) as { enforced: boolean; summary: { missing: number } };
  expect(coverage.enforced, 'a merged run is a full run: coverage is enforced').toBe(true);
  expect(coverage.summary.missing).toBe(0);
});
