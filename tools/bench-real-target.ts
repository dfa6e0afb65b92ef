// The gate against a real target, as users wait for it: the project's simulator on loopback with injected latency, started
// here and used as a REMOTE target (API_BASE_URL, DELETE opted in with its disposable customer), against a bare Playwright
// project of as many one-request tests on the same target. The target counts what it receives and its busiest minute.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../config/errors';
import { gateLimits, isKnownVariable, loadGateSettings, type NumberRule } from '../config/settings';
import { createSimulatorApp, simulatorBasePath, SimulatorState } from '../simulator/server';
import { customerWithRole, type CustomerRole } from '../simulator/customers';
import { loadAverage, median, repoRoot, round, withLoad, type Figure, type LoadAverage } from './bench-common';

const playwrightCli = require.resolve('@playwright/test/cli');

/** The window the vendor states its rate budget in (200 requests per minute on its Voice APIs), in milliseconds. */
export const rateWindowMs = 60_000;

/**
 * The most instants (milliseconds, any order) that fall in one window of `windowMs`, sliding: the busiest minute a target
 * saw when `windowMs` is 60,000. A window is half-open, [t, t + windowMs): two instants exactly a window apart are in two.
 */
export function busiestWindow(instants: ReadonlyArray<number>, windowMs: number = rateWindowMs): number {
  if (!(windowMs > 0)) throw new RangeError(`the window must be a positive number of milliseconds, not ${windowMs}`);
  const sorted = [...instants].sort((a, b) => a - b);
  let best = 0;
  let first = 0;
  for (let last = 0; last < sorted.length; last++) {
    while (sorted[last]! - sorted[first]! >= windowMs) first += 1;
    best = Math.max(best, last - first + 1);
  }
  return best;
}

/** The loopback target: the simulator with a latency, counting the instant of every request it receives. */
interface CountingTarget {
  baseUrl: string;
  customer(role: CustomerRole): { id: string; token: string; role: CustomerRole };
  customers: ReadonlyArray<{ id: string; token: string; role: CustomerRole }>;
  /** Restores the deleted disposable customer and forgets the instants counted so far. */
  reset(): void;
  /** The instants (performance.now(), ms) of the requests received since the last reset. */
  instants(): ReadonlyArray<number>;
  stop(): Promise<void>;
}

/** The simulator (faithful, every answer delayed by `latencyMs`) on a free 127.0.0.1 port, in this process. */
async function startCountingTarget(latencyMs: number): Promise<CountingTarget> {
  const state = new SimulatorState({ latencyMs });
  const app = createSimulatorApp(state);
  let instants: number[] = [];
  const server = http.createServer((req, res) => {
    instants.push(performance.now());
    app(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const customers = state.customers.map(({ id, token, role }) => ({ id, token, role }));
  return {
    baseUrl: `http://127.0.0.1:${port}${simulatorBasePath}`,
    customers,
    customer: (role) => customerWithRole(customers, role),
    reset() {
      state.reset();
      instants = [];
    },
    instants: () => instants,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        state.cancelDelays();
        server.closeAllConnections();
      }),
  };
}

/** The bench's PATH and HOME only, as every other section runs the gate. */
function baseEnv(): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
}

/** The API_* variables that point the gate at the target as a remote API, DELETE opted in for the disposable customer. */
function gateTargetEnv(target: CountingTarget): Record<string, string> {
  return {
    API_BASE_URL: target.baseUrl,
    API_CUSTOMER_ID: target.customer('primary').id,
    API_TOKEN: target.customer('primary').token,
    API_OTHER_CUSTOMER_ID: target.customer('other').id,
    API_ALLOW_DELETE: '1',
    API_DELETE_CUSTOMER_ID: target.customer('disposable').id,
    API_DELETE_TOKEN: target.customer('disposable').token,
  };
}

/**
 * The settings that lift the pace as far as the gate allows, for the variables config/settings.ts knows when the bench
 * runs: CONTRACT_MAX_REQUESTS_PER_MINUTE at its maximum once it exists (CONTRACT_MAX_RPS, then deprecated, stays unset:
 * it would only add spacing), else CONTRACT_MAX_RPS at its maximum (the per-second pace of the generated phase).
 */
export function liftedPaceEnv(known: (name: string) => boolean = isKnownVariable): Record<string, string> {
  const limits = gateLimits as Readonly<Record<string, NumberRule | undefined>>;
  if (known('CONTRACT_MAX_REQUESTS_PER_MINUTE')) return { CONTRACT_MAX_REQUESTS_PER_MINUTE: String(limits.maxRequestsPerMinute?.max ?? 60_000) };
  if (known('CONTRACT_MAX_RPS')) return { CONTRACT_MAX_RPS: String(limits.maxRps?.max ?? 1000) };
  return {};
}

/** A Playwright JSON report, as far as the bench reads it: each suite's file and its tests' durations. */
export interface ReportSuite {
  file?: string;
  specs?: ReadonlyArray<{ file?: string; tests?: ReadonlyArray<{ results?: ReadonlyArray<{ duration?: number }> }> }>;
  suites?: ReadonlyArray<ReportSuite>;
}

/** Milliseconds of test time per spec file in a Playwright JSON report (every result of every test, nested suites included). */
export function durationsByFile(report: { suites?: ReadonlyArray<ReportSuite> }): Map<string, number> {
  const totals = new Map<string, number>();
  const visit = (suite: ReportSuite, file: string): void => {
    for (const spec of suite.specs ?? []) {
      const where = spec.file ?? suite.file ?? file;
      for (const t of spec.tests ?? []) for (const r of t.results ?? []) totals.set(where, (totals.get(where) ?? 0) + (r.duration ?? 0));
    }
    for (const inner of suite.suites ?? []) visit(inner, inner.file ?? suite.file ?? file);
  };
  for (const suite of report.suites ?? []) visit(suite, suite.file ?? '(unknown)');
  return totals;
}

interface ChildRun {
  code: number | null;
  ms: number;
  /** CPU (user + system) of the child and every process it waited for (Playwright's workers), in ms; NaN off Linux. */
  cpuMs: number;
  output: string;
}

/**
 * CPU (user + system, ms) of this process's reaped children so far, from /proc/self/stat (cutime + cstime, clock ticks at
 * the usual 100 a second): a child's share includes its own reaped children, so a Playwright run counts with its
 * workers. Unlike wall time it barely moves with the machine's load, so the gate / floor ratio of it is the figure
 * to compare across runs on a shared machine. NaN where /proc is absent.
 */
export function reapedChildrenCpuMs(stat: string | undefined = readSelfStat()): number {
  if (stat === undefined) return Number.NaN;
  // Fields after the command name (which may hold spaces and parentheses): the 14th and 15th of those are cutime, cstime.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[13]) + Number(fields[14]);
  return Number.isFinite(ticks) ? ticks * 10 : Number.NaN;
}

function readSelfStat(): string | undefined {
  try {
    return fs.readFileSync('/proc/self/stat', 'utf8');
  } catch {
    return undefined;
  }
}

/** `playwright test …` as a child process (asynchronous: the target answers in this process's event loop meanwhile). */
function runPlaywright(args: string[], cwd: string, env: Record<string, string>): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const cpuBefore = reapedChildrenCpuMs();
    const child = spawn(process.execPath, [playwrightCli, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, ms: performance.now() - started, cpuMs: reapedChildrenCpuMs() - cpuBefore, output }));
  });
}

function lastLines(run: ChildRun, count = 3): string {
  return run.output.trim().split('\n').slice(-count).join(' | ');
}

/** How many tests and files the gate runs against this target (`playwright test --list` with the same settings). */
async function gateSize(env: Record<string, string>): Promise<{ tests: number; files: number }> {
  const run = await runPlaywright(['test', '--list', '--reporter=list'], repoRoot, env);
  const match = /Total: (\d+) tests? in (\d+) files?/.exec(run.output);
  if (run.code !== 0 || !match) throw new UserError(`\`playwright test --list\` did not count the gate's tests (exit ${run.code}): ${lastLines(run)}`);
  return { tests: Number(match[1]), files: Number(match[2]) };
}

/**
 * A bare Playwright project of `tests` tests over `files` files, each sending one authorised GET /{customer_id} to the
 * target (FLOOR_BASE_URL, FLOOR_CUSTOMER_ID, FLOOR_TOKEN) and checking its status and id: the gate's worker count and
 * reporter set (list, junit, json, html), no global setup, no fixtures, no contract. Same Playwright (node_modules linked).
 */
function generateFloorProject(dir: string, tests: number, files: number, workers: number): void {
  fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  fs.writeFileSync(
    path.join(dir, 'playwright.config.ts'),
    `import { defineConfig } from '@playwright/test';
import path from 'node:path';
const reports = path.join(__dirname, 'reports');
export default defineConfig({
  testDir: path.join(__dirname, 'specs'),
  fullyParallel: false,
  workers: ${workers},
  retries: 0,
  timeout: 30_000,
  outputDir: path.join(reports, 'test-results'),
  reporter: [
    ['list'],
    ['junit', { outputFile: path.join(reports, 'junit.xml') }],
    ['json', { outputFile: path.join(reports, 'results.json') }],
    ['html', { outputFolder: path.join(reports, 'html'), open: 'never' }],
  ],
});
`,
  );
  fs.mkdirSync(path.join(dir, 'specs'));
  for (let f = 0; f < files; f++) {
    const count = Math.floor(tests / files) + (f < tests % files ? 1 : 0);
    const cases = Array.from(
      { length: count },
      (_, i) => `test('answers the customer ${f}-${i}', async ({ request }) => {
  const id = process.env.FLOOR_CUSTOMER_ID!;
  const res = await request.get(\`\${process.env.FLOOR_BASE_URL}/\${encodeURIComponent(id)}\`, {
    headers: { authorization: \`Bearer \${process.env.FLOOR_TOKEN}\` },
  });
  expect(res.status(), 'status').toBe(200);
  expect((await res.json()).data.customer_id, 'the customer asked for').toBe(id);
});
`,
    );
    fs.writeFileSync(path.join(dir, 'specs', `floor-${f}.spec.ts`), `import { test, expect } from '@playwright/test';\n\n${cases.join('\n')}`);
  }
}

/** One scenario: a target latency and the gate's settings on top of its default ones. */
interface Scenario {
  latencyMs: number;
  settings: Record<string, string>;
  what: string;
  goal: number;
  /** Whether the busiest minute is held to the vendor's 200 (the default pace must keep it; a lifted one need not). */
  minuteGoal: boolean;
}

const requestsPerMinuteGoal = 200;

async function benchScenario(runs: number, scenario: Scenario): Promise<Figure[]> {
  const section = 'real';
  const target = await startCountingTarget(scenario.latencyMs);
  const floorDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-real-floor-'));
  try {
    const gateEnv = { ...baseEnv(), ...gateTargetEnv(target), ...scenario.settings };
    const { tests, files } = await gateSize(gateEnv);
    const workers = loadGateSettings({ ...scenario.settings }, repoRoot).workers;
    generateFloorProject(floorDir, tests, files, workers);
    const floorEnv = {
      ...baseEnv(),
      FLOOR_BASE_URL: target.baseUrl,
      FLOOR_CUSTOMER_ID: target.customer('primary').id,
      FLOOR_TOKEN: target.customer('primary').token,
    };
    const gate: number[] = [];
    const floor: number[] = [];
    const gateCpu: number[] = [];
    const floorCpu: number[] = [];
    const reported: number[] = [];
    const received: number[] = [];
    const busiest: number[] = [];
    const byFile = new Map<string, number[]>();
    const loads: LoadAverage[] = [];
    for (let i = 0; i < runs; i++) {
      target.reset();
      const floorRun = await runPlaywright(['test', '-c', path.join(floorDir, 'playwright.config.ts')], floorDir, floorEnv);
      if (floorRun.code !== 0) throw new UserError(`the floor project exited ${floorRun.code} during the benchmark: ${lastLines(floorRun)}`);
      floor.push(floorRun.ms);
      floorCpu.push(floorRun.cpuMs);

      target.reset();
      const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-real-gate-'));
      try {
        const gateRun = await runPlaywright(['test'], repoRoot, { ...gateEnv, CONTRACT_REPORTS_DIR: reports });
        if (gateRun.code !== 0) {
          throw new UserError(
            `the gate against the loopback target (${scenario.what}) exited ${gateRun.code} during the benchmark, not 0: ${lastLines(gateRun)}`,
          );
        }
        gate.push(gateRun.ms);
        gateCpu.push(gateRun.cpuMs);
        const traffic = JSON.parse(fs.readFileSync(path.join(reports, 'requests.json'), 'utf8')) as { requests: number };
        reported.push(traffic.requests);
        const results = JSON.parse(fs.readFileSync(path.join(reports, 'results.json'), 'utf8')) as { suites?: ReportSuite[] };
        for (const [file, ms] of durationsByFile(results)) byFile.set(file, [...(byFile.get(file) ?? []), ms]);
      } finally {
        fs.rmSync(reports, { recursive: true, force: true });
      }
      received.push(target.instants().length);
      busiest.push(busiestWindow(target.instants()));
      loads.push(loadAverage());
    }
    const load = loadAverage();
    const g = median(gate);
    const f = median(floor);
    const ratio = g / f;
    const maxMinute = Math.max(...busiest);
    const runsText = (values: number[]): string => values.map((v) => (v / 1000).toFixed(2)).join(', ');
    const settingsText = Object.keys(scenario.settings).length
      ? Object.entries(scenario.settings)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')
      : 'default settings';
    const head = `${scenario.what}, ${settingsText}`;
    const minute: Figure = {
      section,
      name: `${head}: the busiest minute the target saw during one gate run (sliding 60 s; each run: ${busiest.join(', ')})`,
      value: maxMinute,
      unit: 'requests',
    };
    if (scenario.minuteGoal) Object.assign(minute, { goal: `≤ ${requestsPerMinuteGoal}`, met: maxMinute <= requestsPerMinuteGoal });
    return [
      withLoad(
        {
          section,
          name: `${head}: bare Playwright project, ${tests} one-request tests in ${files} files, ${workers} worker(s), median of ${runs} (${runsText(floor)} s)`,
          value: round(f / 1000, 2),
          unit: 's',
        },
        load,
      ),
      withLoad(
        {
          section,
          name: `${head}: the gate (API_BASE_URL, DELETE opted in), the same runs interleaved, median of ${runs} (${runsText(gate)} s; load1 after each pair ${loads.map((l) => l.load1.toFixed(2)).join(', ')})`,
          value: round(g / 1000, 2),
          unit: 's',
        },
        load,
      ),
      withLoad(
        {
          section,
          name: `${head}: gate / floor: ${round(g / 1000, 2)} s / ${round(f / 1000, 2)} s`,
          value: round(ratio, 2),
          unit: '×',
          goal: `≤ ${scenario.goal}×`,
          met: ratio <= scenario.goal,
        },
        load,
      ),
      // CPU beside wall time: on a shared machine the wall-time ratio swings with the load; the CPU one barely does.
      ...(gateCpu.every(Number.isFinite) && floorCpu.every(Number.isFinite)
        ? [
            withLoad(
              {
                section,
                name: `${head}: CPU (user + system, runner and workers) gate / floor, medians of ${runs}: ${runsText(gateCpu)} s / ${runsText(floorCpu)} s`,
                value: round(median(gateCpu) / median(floorCpu), 2),
                unit: '×',
              },
              load,
            ),
          ]
        : []),
      withLoad(
        {
          section,
          name: `${head}: requests the gate sent, reports/requests.json (each run: ${reported.join(', ')})`,
          value: median(reported),
          unit: 'requests',
        },
        load,
      ),
      withLoad(
        {
          section,
          name: `${head}: requests the target received during one gate run, preflight included (each run: ${received.join(', ')})`,
          value: median(received),
          unit: 'requests',
        },
        load,
      ),
      withLoad(minute, load),
      ...(scenario.latencyMs > 0
        ? [
            withLoad(
              {
                section,
                name: `${head}: the target's latency alone for the requests it received, one at a time (${median(received)} × ${scenario.latencyMs} ms; what a sequential gate cannot go below)`,
                value: round((median(received) * scenario.latencyMs) / 1000, 2),
                unit: 's',
              },
              load,
            ),
          ]
        : []),
      // Where the gate's time goes: test time per spec file (Playwright's own start, setup and reporters are the rest).
      ...[...byFile]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([file, values]) =>
          withLoad(
            { section, name: `${head}: … of the gate, tests of ${file}, median of ${values.length}`, value: round(median(values) / 1000, 2), unit: 's' },
            load,
          ),
        ),
    ];
  } finally {
    fs.rmSync(floorDir, { recursive: true, force: true });
    await target.stop();
  }
}

/**
 * The real-target section: the gate against the loopback target with `latencyMs` per answer at its default settings
 * (goal ≤ 1.5× the floor, busiest minute ≤ 200), then with no latency and the pace lifted (goal ≤ 1.1×).
 */
export async function benchRealTarget(runs: number, latencyMs = 50): Promise<Figure[]> {
  return [
    ...(await benchScenario(runs, {
      latencyMs,
      settings: {},
      what: `loopback target, ${latencyMs} ms per answer`,
      goal: 1.5,
      minuteGoal: true,
    })),
    ...(await benchScenario(runs, {
      latencyMs: 0,
      settings: liftedPaceEnv(),
      what: 'loopback target, no latency, pace lifted',
      goal: 1.1,
      minuteGoal: false,
    })),
  ];
}
