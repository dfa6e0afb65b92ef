// Runs `npm run monitor`'s entry point (monitors/exporter/cli.ts) with flags and a clean environment, the way a user would.
import { spawn } from 'node:child_process';
import path from 'node:path';

const repoRoot = path.resolve(__dirname, '..', '..');

export interface ExporterCliRun {
  /** Exit code, or null when it was stopped by us after `until` matched. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** Whether `until` matched before the process exited. */
  matched: boolean;
}

/**
 * Spawns the CLI with `env` on top of PATH/HOME and resolves when it exits, or, when `until` matches its stderr, stops it
 * (SIGTERM) and resolves once it is gone. `failAfterMs` is only a safety net for a hung child; no result depends on it.
 */
export function runExporterCommand(options: { env?: Record<string, string>; args?: string[]; until?: RegExp; failAfterMs?: number }): Promise<ExporterCliRun> {
  const base: Record<string, string> = {};
  for (const key of ['PATH', 'HOME', 'TMPDIR']) if (process.env[key]) base[key] = process.env[key]!;
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'monitors/exporter/cli.ts'), ...(options.args ?? [])], {
    cwd: repoRoot,
    env: { ...base, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let matched = false;
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (options.until && !matched && options.until.test(stderr)) {
      matched = true;
      child.kill('SIGTERM');
    }
  });
  const safety = setTimeout(() => child.kill('SIGKILL'), options.failAfterMs ?? 90_000);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(safety);
      resolve({ code, stdout, stderr, matched });
    });
  });
}
