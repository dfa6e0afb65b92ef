// Runs the contract gate (playwright.config.ts) as a child process, the way CI does, and reads back what it reported.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { JSONReport, JSONReportSuite } from '@playwright/test/reporter';
import { customerWithRole, type CustomerRole } from '../../simulator/customers';
import { withFileLock } from './file-lock';
import { repoRoot, runProcess } from './processes';
import { selfTestRunId, sharedRunsRoot } from './self-test-run';

export { repoRoot };
const playwrightCli = require.resolve('@playwright/test/cli');

export interface GateRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  reportsDir: string;
  results: JSONReport | undefined;
  /** Every failure message of every test, ANSI codes stripped, joined. */
  failureText: string;
  /** Every annotation description of every test, joined. */
  annotationText: string;
}

/** Runs `playwright test` on the contract config with `env` on top of a clean environment; resolves when it exits. */
export async function runGate(options: { env?: Record<string, string>; reportsDir: string; args?: string[]; timeoutMs?: number }): Promise<GateRun> {
  fs.rmSync(options.reportsDir, { recursive: true, force: true });
  const run = await runProcess(process.execPath, [playwrightCli, 'test', '-c', path.join(repoRoot, 'playwright.config.ts'), ...(options.args ?? [])], {
    // Each run keeps its own failure database, so a self-test never writes into the repository's contract/failure-db.json.
    env: { CONTRACT_REPORTS_DIR: options.reportsDir, CONTRACT_FAILURE_DB: path.join(options.reportsDir, 'failure-db.json'), ...options.env },
    failAfterMs: options.timeoutMs ?? 90_000,
  });
  const { stdout, stderr } = run;
  const exitCode = run.code ?? -1;
  const resultsFile = path.join(options.reportsDir, 'results.json');
  const results = fs.existsSync(resultsFile) ? (JSON.parse(fs.readFileSync(resultsFile, 'utf8')) as JSONReport) : undefined;
  const failures: string[] = [];
  const annotations: string[] = [];
  const visit = (suite: JSONReportSuite): void => {
    for (const spec of suite.specs) {
      for (const t of spec.tests) {
        for (const a of t.annotations) annotations.push(a.description ?? '');
        for (const r of t.results) for (const e of r.errors) failures.push(`${spec.title}: ${e.message}`);
      }
    }
    suite.suites?.forEach(visit);
  };
  results?.suites.forEach(visit);
  return {
    exitCode,
    stdout,
    stderr,
    reportsDir: options.reportsDir,
    results,
    failureText: stripAnsi(failures.join('\n')),
    annotationText: annotations.join('\n'),
  };
}

/**
 * The gate run for (`env`, `args`), shared by every test of this `npm test` invocation that asks for the same pair: the first
 * to ask runs it (into reports/self-test/shared-runs/<run id>/), the others wait for it and read the same result. Only for
 * tests that read what a run wrote; a test that changes state, writes a failure database or a step summary, or needs its
 * own simulator runs its own (`runGate`). Read files from the returned `reportsDir`.
 */
export async function sharedGateRun(options: { env?: Record<string, string>; args?: string[]; timeoutMs?: number }): Promise<GateRun> {
  const env = Object.entries(options.env ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const args = options.args ?? [];
  const key = JSON.stringify({ env, args });
  const name = [...env.map(([k, v]) => `${k}=${v}`), ...args].join(' ') || 'default';
  const slug = `${name.replace(/[^\w.=-]+/g, '_').slice(0, 80)}-${crypto.createHash('sha256').update(key).digest('hex').slice(0, 8)}`;
  const dir = path.join(sharedRunsRoot, selfTestRunId());
  fs.mkdirSync(dir, { recursive: true });
  const reportsDir = path.join(dir, slug);
  const resultFile = `${reportsDir}.json`;
  return withFileLock(`${reportsDir}.lock`, async () => {
    if (fs.existsSync(resultFile)) return JSON.parse(fs.readFileSync(resultFile, 'utf8')) as GateRun;
    const run = await runGate({ env: options.env, args, reportsDir, timeoutMs: options.timeoutMs });
    fs.writeFileSync(`${resultFile}.tmp`, JSON.stringify({ ...run, key }));
    fs.renameSync(`${resultFile}.tmp`, resultFile);
    return run;
  });
}

export function stripAnsi(text: string): string {
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}

/** The API_* variables that point the gate at a simulator as if it were a real target, DELETE opted in for its disposable customer. */
export function remoteTargetEnv(baseUrl: string, customers: ReadonlyArray<{ id: string; token: string; role: CustomerRole }>): Record<string, string> {
  const byRole = (role: CustomerRole) => customerWithRole(customers, role);
  return {
    API_BASE_URL: baseUrl,
    API_CUSTOMER_ID: byRole('primary').id,
    API_TOKEN: byRole('primary').token,
    API_OTHER_CUSTOMER_ID: byRole('other').id,
    API_ALLOW_DELETE: '1',
    API_DELETE_CUSTOMER_ID: byRole('disposable').id,
    API_DELETE_TOKEN: byRole('disposable').token,
  };
}
