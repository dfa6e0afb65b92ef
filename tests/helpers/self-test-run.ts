// One `playwright test -c tests/playwright.config.ts` invocation (npm test) has one run id: the key under which gate runs
// shared between test files and the rows of the tables several tests write are kept. The config's globalSetup sets it;
// the workers inherit it. Nothing survives into the next invocation.
import fs from 'node:fs';
import path from 'node:path';
import { alive } from './file-lock';
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

/**
 * globalSetup of tests/playwright.config.ts: a fresh run id (ending in this runner's pid), and the shared runs of earlier
 * invocations removed, those whose runner has exited (a concurrent invocation keeps its own).
 */
export default function globalSetup(): void {
  const runId = `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`;
  process.env[runIdVariable] = runId;
  fs.mkdirSync(sharedRunsRoot, { recursive: true });
  for (const entry of fs.readdirSync(sharedRunsRoot)) {
    const pid = Number(/-(\d+)$/.exec(entry)?.[1]);
    // A pid can be reused within minutes on a busy machine: older than three hours is gone whatever its pid says.
    const old = Date.now() - fs.statSync(path.join(sharedRunsRoot, entry)).mtimeMs > 3 * 3600_000;
    if (!Number.isInteger(pid) || !alive(pid) || old) fs.rmSync(path.join(sharedRunsRoot, entry), { recursive: true, force: true });
  }
  fs.mkdirSync(path.join(sharedRunsRoot, runId), { recursive: true });
}
