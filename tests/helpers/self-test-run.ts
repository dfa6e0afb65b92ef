// One `playwright test -c tests/playwright.config.ts` invocation (npm test) has one run id: the key under which gate runs
// shared between test files and the rows of the tables several tests write are kept. The config's globalSetup sets it;
// the workers inherit it. Nothing survives into the next invocation.
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from './processes';

/** Not a gate setting (no API_/CONTRACT_… prefix): it never reaches a child, whose environment is built clean (processes.ts). */
export const runIdVariable = 'SELF_TEST_RUN_ID';

/** Where gate runs shared within one invocation live: one folder per run id. */
export const sharedRunsRoot = path.join(repoRoot, 'reports', 'self-test', 'shared-runs');

/**
 * This invocation's run id. Without the globalSetup (a test loaded by another config) each worker process is its own
 * invocation: nothing is shared across workers, and nothing from an earlier invocation is read.
 */
export function selfTestRunId(): string {
  return process.env[runIdVariable] || `worker-${process.pid}`;
}

/** globalSetup of tests/playwright.config.ts: a fresh run id, and the previous invocations' shared runs removed. */
export default function globalSetup(): void {
  const runId = `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`;
  process.env[runIdVariable] = runId;
  fs.rmSync(sharedRunsRoot, { recursive: true, force: true });
  fs.mkdirSync(path.join(sharedRunsRoot, runId), { recursive: true });
}
