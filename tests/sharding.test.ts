// The gate split over CI machines: two shards write blob reports, merge-reports joins them into one junit, drift and coverage report.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { repoRoot } from './helpers/run-gate';

const playwrightCli = require.resolve('@playwright/test/cli');
const workDir = path.join(repoRoot, 'reports', 'self-test', 'sharding');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [playwrightCli, ...args], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

test('two shards merged give the same complete coverage and every test once', async () => {
  test.setTimeout(0);
  fs.rmSync(workDir, { recursive: true, force: true });
  const collected = path.join(workDir, 'all-blob-reports');
  fs.mkdirSync(collected, { recursive: true });
  // The two shards run at once, as on two CI machines (and the test list beside them): each its own simulator, its own
  // blob-report folder; nothing they share but the source tree, which they only read.
  const listing = run(['test', '--list'], {});
  const shards = await Promise.all(
    [1, 2].map(async (shard) => {
      const blobDir = path.join(workDir, `machine-${shard}`, 'blob-report');
      const result = await run(['test', `--shard=${shard}/2`, '--reporter=blob'], {
        CONTRACT_REPORTS_DIR: path.join(workDir, `machine-${shard}`),
        PLAYWRIGHT_BLOB_OUTPUT_DIR: blobDir,
      });
      return { shard, blobDir, result };
    }),
  );
  for (const { shard, blobDir, result } of shards) {
    expect(result.status, `shard ${shard}/2:\n${result.stdout}${result.stderr}`).toBe(0);
    for (const file of fs.readdirSync(blobDir)) fs.copyFileSync(path.join(blobDir, file), path.join(collected, file));
  }
  const mergedDir = path.join(workDir, 'merged');
  const merged = await run(['merge-reports', '--config', 'playwright.merge.config.ts', collected], { CONTRACT_REPORTS_DIR: mergedDir });
  expect(merged.status, merged.stdout + merged.stderr).toBe(0);
  expect(merged.stdout).toMatch(/contract coverage 13\/13 · drift: 0 breaking/);
  const junit = fs.readFileSync(path.join(mergedDir, 'junit.xml'), 'utf8');
  const total = Number((await listing).stdout.match(/Total: (\d+) tests?/)?.[1]);
  expect(total).toBeGreaterThan(20);
  expect(Number(junit.match(/<testsuites[^>]* tests="(\d+)"/)?.[1]), 'every test of the suite, once').toBe(total);
  const coverage = JSON.parse(fs.readFileSync(path.join(mergedDir, 'coverage.json'), 'utf8')) as { enforced: boolean; summary: { missing: number } };
  expect(coverage.enforced, 'a merged run is a full run: coverage is enforced').toBe(true);
  expect(coverage.summary.missing).toBe(0);
});
