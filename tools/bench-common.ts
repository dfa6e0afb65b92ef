// What the benchmark sections share: the machine's load beside every figure, /proc readings, child processes, percentiles.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../config/errors';

/** One figure the bench prints: its section, name, value and unit, and its goal when it has one. */
export interface Figure {
  section: string;
  name: string;
  value: number;
  unit: string;
  goal?: string;
  met?: boolean;
}

export const repoRoot = path.resolve(__dirname, '..');

/** The load average when a figure was taken: 1, 5 and 15 minutes, and the machine's core count to read it against. */
export interface LoadAverage {
  load1: number;
  load5: number;
  load15: number;
  cores: number;
}

/** A figure with the load average it was measured at (bench.json keeps both). */
export interface LoadedFigure extends Figure {
  load: LoadAverage;
}

export function loadAverage(): LoadAverage {
  const [load1, load5, load15] = os.loadavg().map((v) => Math.round(v * 100) / 100) as [number, number, number];
  return { load1, load5, load15, cores: os.cpus().length };
}

export function loadText(load: LoadAverage): string {
  return `load ${load.load1.toFixed(2)} / ${load.load5.toFixed(2)} / ${load.load15.toFixed(2)} on ${load.cores} cores`;
}

/**
 * The figure with the current load average attached (in bench.json and in its name), printed at once on stderr with a
 * warning when the 1-minute load is above the core count: other work on the machine then shares the CPU with the figure.
 */
export function withLoad(figure: Figure, load: LoadAverage = loadAverage()): LoadedFigure {
  const busy = load.load1 > load.cores;
  const goal = figure.goal === undefined ? '' : ` (goal ${figure.goal}: ${figure.met ? 'met' : 'MISSED'})`;
  process.stderr.write(
    `bench ${figure.section}: ${figure.name}: ${figure.value} ${figure.unit}${goal} [${loadText(load)}]${busy ? ' WARNING: load above the core count, figures are pessimistic' : ''}\n`,
  );
  return { ...figure, name: `${figure.name} [load ${load.load1.toFixed(2)}${busy ? ' HIGH' : ''}]`, load };
}

export function median(values: ReadonlyArray<number>): number {
  return percentile(values, 0.5);
}

/** The p-quantile (0..1) by linear interpolation between the closest ranks; NaN for no values. */
export function percentile(values: ReadonlyArray<number>, p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (sorted.length - 1) * p;
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low);
}

export const round = (value: number, digits = 2): number => Math.round(value * 10 ** digits) / 10 ** digits;
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** CPU seconds (user + system, all threads) and resident memory of a live process, from /proc/<pid>/stat. */
export function processUsage(pid: number): { cpuSeconds: number; rssBytes: number } {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rssPages = Number(fields[21]);
  return { cpuSeconds: ticks / 100, rssBytes: rssPages * 4096 };
}

/**
 * A TypeScript program of this repo as one plain `node --import tsx` process (no npm, no tsx CLI parent), so its CPU
 * and memory are its own. tsx only transforms modules as they load: a window measured after warm-up holds none of it.
 */
export function spawnProgram(script: string, env: Record<string, string>, nodeFlags: string[] = [], args: string[] = []): ChildProcess {
  return spawn(process.execPath, [...nodeFlags, '--import', 'tsx', script, ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  if (!running()) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await Promise.race([exited, sleep(10_000)]);
  if (running()) child.kill('SIGKILL');
}

export async function waitForOk(url: string, what: string, child: ChildProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || child.exitCode !== null) throw new UserError(`${what} did not start for the benchmark`);
    await sleep(100);
  }
}

/** prometheus-blackbox-exporter, as Debian installs it; what the probe and blackbox sections compare against. */
export const blackboxBinary = '/usr/bin/prometheus-blackbox-exporter';

/** Throws, saying how to install it, when blackbox_exporter is not installed: before anything is started. */
export function requireBlackbox(): void {
  if (!fs.existsSync(blackboxBinary)) throw new UserError(`${blackboxBinary} is missing: apt-get install prometheus-blackbox-exporter`);
}

/**
 * A blackbox_exporter config in `dir` with one `customer_api` module: GET with the bearer token, 200 only, and the extra
 * headers and body regular expressions given. Returns its path.
 */
export function writeBlackboxConfig(dir: string, token: string, options: { headers?: Record<string, string>; bodyMustMatch?: string[] } = {}): string {
  const file = path.join(dir, 'blackbox.yml');
  const headers = Object.entries(options.headers ?? {}).map(([name, value]) => `        ${name}: ${value}`);
  const body = options.bodyMustMatch?.length ? ['      fail_if_body_not_matches_regexp:', ...options.bodyMustMatch.map((re) => `        - '${re}'`)] : [];
  const lines = ['modules:', '  customer_api:', '    prober: http', '    timeout: 5s', '    http:', '      method: GET', '      valid_status_codes: [200]'];
  fs.writeFileSync(file, [...lines, '      headers:', `        Authorization: "Bearer ${token}"`, ...headers, ...body, ''].join('\n'));
  return file;
}
