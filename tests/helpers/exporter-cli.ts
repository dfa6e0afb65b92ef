// Runs `npm run monitor`'s entry point (monitors/exporter/cli.ts) with flags and a clean environment, the way a user would.
import { startProcess, tsxCommand, type CollectingProcess } from './processes';

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

/** A running `npm run monitor`: the process, its /metrics origin, and the start line's match. */
export interface StartedExporterCli {
  process: CollectingProcess;
  url: string;
  startLine: RegExpMatchArray;
}

/**
 * Starts the CLI on 127.0.0.1 and a free port with `env` on top, and resolves once its start line (`listening`, whose
 * first group is the port) is on stderr; rejects, with the output, when it exits first. The caller stops it.
 */
export async function startExporterCli(env: Record<string, string>, listening = /listening on [\d.]+:(\d+)/): Promise<StartedExporterCli> {
  const exporter = startProcess(...tsxCommand('monitors/exporter/cli.ts'), { env: { MONITOR_PORT: '0', MONITOR_HOST: '127.0.0.1', ...env } });
  const startLine = await exporter.waitFor(listening, 'stderr');
  return { process: exporter, url: `http://127.0.0.1:${startLine[1]}`, startLine };
}
