// Runs `npm run monitor`'s entry point (monitors/exporter/cli.ts) with flags and a clean environment, the way a user would.
import { startProcess, tsxCommand } from './processes';

export interface ExporterCliRun {
  /** Exit code, or null when it was stopped by us after `until` matched. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** Whether `until` matched before the process exited. */
  matched: boolean;
}

/**
 * Spawns the CLI with `env` on top of PATH/HOME/TMPDIR and resolves when it exits, or, when `until` matches its stderr,
 * stops it (SIGTERM) and resolves once it is gone. `failAfterMs` is only a safety net for a hung child; no result depends on it.
 */
export async function runExporterCommand(options: {
  env?: Record<string, string>;
  args?: string[];
  until?: RegExp;
  failAfterMs?: number;
}): Promise<ExporterCliRun> {
  const exporter = startProcess(...tsxCommand('monitors/exporter/cli.ts', options.args), { env: options.env, failAfterMs: options.failAfterMs });
  if (!options.until) {
    const { code, stdout, stderr } = await exporter.exit;
    return { code, stdout, stderr, matched: false };
  }
  const matched = await exporter.waitFor(options.until, 'stderr').then(
    () => true,
    () => false,
  );
  const { code, stdout, stderr } = await exporter.stop();
  return { code, stdout, stderr, matched };
}

/** `runExporterCommand` with only variables: resolves when the CLI exits (e.g. after refusing a setting). */
export async function runExporterCli(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await runExporterCommand({ env });
  return { code, stdout, stderr };
}
