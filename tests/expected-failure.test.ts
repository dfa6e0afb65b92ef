// The expected-failure trick (specs/support/expected-failure.ts, reporters/expected-failure.ts) rests on Playwright behaviour the reporter API does not promise: proven here on the installed version, and pinned to it.
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import type { JSONReport, JSONReportSuite, JSONReportTest } from '@playwright/test/reporter';
import { repoRoot, runProcess } from './helpers/processes';

/**
 * The @playwright/test version the three behaviours in reporters/expected-failure.ts were last verified on. When
 * package-lock moves Playwright, the first test below fails: run this file, read the runner's onTestEnd and result()
 * in the new version against those three points, then set this to the new version.
 */
const verifiedPlaywrightVersion = '1.65.1';

const playwrightCli = require.resolve('@playwright/test/cli');
const probeConfig = path.join(repoRoot, 'tests', 'fixtures', 'expected-failure', 'playwright.config.ts');
const outDir = path.join(repoRoot, 'reports', 'self-test', 'expected-failure');

test('the trick was verified on the Playwright version package-lock installs', () => {
  const lock = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
  const locked = lock.packages['node_modules/@playwright/test']?.version;
  const installed = (JSON.parse(fs.readFileSync(require.resolve('@playwright/test/package.json'), 'utf8')) as { version: string }).version;
  expect(installed, 'node_modules holds another Playwright than package-lock: run npm ci').toBe(locked);
  expect(
    locked,
    `Playwright is now ${locked}, but the expected-failure trick was verified on ${verifiedPlaywrightVersion}: re-verify the three behaviours listed in reporters/expected-failure.ts against the new runner (the probe tests in this file must pass), then set verifiedPlaywrightVersion in tests/expected-failure.test.ts to ${locked}`,
  ).toBe(verifiedPlaywrightVersion);
});

/** Runs the probe (three tests, one worker, the fence modules as the gate uses them); `args` on top. */
async function runProbe(name: string, args: readonly string[] = []) {
  const out = path.join(outDir, name);
  fs.rmSync(out, { recursive: true, force: true });
  const run = await runProcess(process.execPath, [playwrightCli, 'test', '-c', probeConfig, ...args], { env: { TRICK_PROBE_OUT: out } });
  const read = (file: string): string => fs.readFileSync(path.join(out, file), 'utf8');
  const results = JSON.parse(read('results.json')) as JSONReport;
  const tests = new Map<string, JSONReportTest>();
  const visit = (suite: JSONReportSuite): void => {
    for (const spec of suite.specs) for (const t of spec.tests) tests.set(spec.title, t);
    suite.suites?.forEach(visit);
  };
  results.suites.forEach(visit);
  const observed = JSON.parse(read('observed.json')) as Record<string, { outcome: string; expectedStatus: string; status: string }>;
  return { run, tests, observed, junit: read('junit.xml') };
}

test('a contract failure failed as expected keeps the worker, and the reporter restoring it fails the test for every later reporter and the run', async () => {
  const { run, tests, observed, junit } = await runProbe('full');
  // 1. Later reporters see the restored expectation: the contract verdict is an unexpected failure, a developer's test.fail() is untouched.
  expect(observed['a contract verdict']).toEqual({ outcome: 'unexpected', expectedStatus: 'passed', status: 'failed' });
  expect(observed['the next test']).toMatchObject({ outcome: 'expected' });
  expect(observed['a developer expected failure']).toEqual({ outcome: 'expected', expectedStatus: 'failed', status: 'failed' });
  expect(tests.get('a contract verdict')?.status).toBe('unexpected');
  const totals = /<testsuites [^>]*failures="(\d+)"[^>]*errors="(\d+)"/.exec(junit);
  expect(Number(totals?.[1]) + Number(totals?.[2]), 'junit counts the contract verdict, and only it, as failed').toBe(1);
  expect(junit, 'the marker annotation is gone from what junit shows').not.toContain('a contract verdict: the contract reporter');
  // 2. The runner reads the outcome again at the end: the run fails.
  expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(1);
  // 3. The worker was kept: one process ran all three tests (an unexpected failure would have replaced it).
  const pids = [...tests.values()].map((t) => t.annotations.find((a) => a.type === 'pid')?.description);
  expect(
    pids.every((pid) => pid !== undefined && pid === pids[0]),
    `one worker: ${pids.join(', ')}`,
  ).toBe(true);
  expect(new Set([...tests.values()].map((t) => t.results[0]?.workerIndex))).toEqual(new Set([0]));
});

test('--max-failures counts a restored contract failure: the runner reads the outcome after the first reporter returns', async () => {
  const { run, tests } = await runProbe('max-failures', ['--max-failures=1']);
  expect(run.code).toBe(1);
  expect(tests.get('a contract verdict')?.status).toBe('unexpected');
  expect(tests.get('the next test')?.results[0]?.status ?? 'not run', 'the run stopped after the restored failure').not.toBe('passed');
});
