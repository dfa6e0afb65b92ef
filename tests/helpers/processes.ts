// The self-tests' one way to run a program: spawn it with a clean environment, collect its output, wait for a line or its exit, stop it.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..', '..');

/** How a process ended, and everything it wrote. */
export interface ProcessExit {
  /** Exit code, or null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface ProcessOptions {
  /** Default: the repository. */
  cwd?: string;
  /** Variables on top of a clean environment (PATH, HOME and TMPDIR only), so the caller's settings never leak in. */
  env?: Readonly<Record<string, string | undefined>>;
  /** A safety net for a hung child (SIGKILL after this long); no result depends on it. Default 90 s. */
  failAfterMs?: number;
}

/** A running child whose output is kept. */
export interface CollectingProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the match once the stream's output so far matches; rejects, with the output, when the process exits first. */
  waitFor(pattern: RegExp, stream?: 'stdout' | 'stderr'): Promise<RegExpMatchArray>;
  /** Sends `signal` (SIGTERM unless given) unless it has already exited, and resolves once it has. */
  stop(signal?: NodeJS.Signals): Promise<ProcessExit>;
  /** Resolves once the process has exited and its output is closed. */
  readonly exit: Promise<ProcessExit>;
}

/**
 * The clean environment every child starts from, plus `env` (an undefined value leaves a variable out). The failure
 * database is off unless a test names its own file: a self-test's gate run must never write the repository's
 * contract/failure-db.json (later runs would replay what a breaking simulator mode answered).
 */
export function childEnvironment(env: Readonly<Record<string, string | undefined>> = {}): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { CONTRACT_FAILURE_DB: '0' };
  for (const key of ['PATH', 'HOME', 'TMPDIR']) if (process.env[key] !== undefined) base[key] = process.env[key];
  return Object.fromEntries(Object.entries({ ...base, ...env }).filter(([, value]) => value !== undefined));
}

/** Starts `command` and collects its output. */
export function startProcess(command: string, args: readonly string[], options: ProcessOptions = {}): CollectingProcess {
  const child = spawn(command, [...args], { cwd: options.cwd ?? repoRoot, env: childEnvironment(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  const waiters = new Set<() => void>();
  const collect = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
    output[stream] += chunk.toString();
    for (const check of [...waiters]) check();
  };
  child.stdout.on('data', collect('stdout'));
  child.stderr.on('data', collect('stderr'));
  const safety = setTimeout(() => child.kill('SIGKILL'), options.failAfterMs ?? 90_000);
  let exited = false;
  const exit = new Promise<ProcessExit>((resolve) => {
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      clearTimeout(safety);
      exited = true;
      for (const check of [...waiters]) check();
      resolve({ code, signal, stdout: output.stdout, stderr: output.stderr });
    };
    child.on('close', finish);
    // A command that cannot start at all (ENOENT) closes with code null after its error.
    child.on('error', (error) => {
      output.stderr += `${error.message}\n`;
    });
  });
  return {
    child,
    exit,
    stdout: () => output.stdout,
    stderr: () => output.stderr,
    waitFor(pattern: RegExp, stream: 'stdout' | 'stderr' = 'stdout'): Promise<RegExpMatchArray> {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const match = pattern.exec(output[stream]);
          if (match) {
            waiters.delete(check);
            resolve(match);
          } else if (exited) {
            waiters.delete(check);
            reject(new Error(`${command} exited before its ${stream} matched ${String(pattern)}\nstdout:\n${output.stdout}\nstderr:\n${output.stderr}`));
          }
        };
        waiters.add(check);
        check();
      });
    },
    stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<ProcessExit> {
      if (!exited) child.kill(signal);
      return exit;
    },
  };
}

/** Runs `command` to its end and resolves with its exit and output. */
export function runProcess(command: string, args: readonly string[], options: ProcessOptions = {}): Promise<ProcessExit> {
  return startProcess(command, args, options).exit;
}

/** The command and arguments that run one of the repository's TypeScript programs (e.g. `simulator/cli.ts`) under tsx. */
export function tsxCommand(script: string, args: readonly string[] = []): [command: string, args: string[]] {
  return [process.execPath, ['--import', 'tsx', path.join(repoRoot, script), ...args]];
}
