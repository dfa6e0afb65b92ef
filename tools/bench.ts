// Benchmarks that print figures (never timed tests): gate wall time, validator throughput, probe accuracy, exporter cost.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { checkResponse, compileContract, loadContract, precompiledContract } from '../contract';
import { exitOnUserError, UserError } from '../config/errors';
import { gateDefaults } from '../config/settings';
import { startSimulator } from '../simulator/server';
import type { Figure } from './bench-common';
import { benchExporterCost, benchProbeAccuracy } from './bench-exporter';
import { benchBlackbox } from './bench-blackbox';
import { benchFootprint } from './bench-footprint';
import { benchFloor } from './bench-floor';
import { benchRealTarget } from './bench-real-target';
import { benchScale } from './bench-scale';
import { benchMutationScore } from './mutation-score';

const repoRoot = path.resolve(__dirname, '..');
const playwrightCli = require.resolve('@playwright/test/cli');

/** One measured figure with its unit and, where the issue sets one, its goal. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** The gate runs the benchmark times: a passing one, and failing ones (a failure must not cost a new Playwright worker). */
const gateScenarios = [
  { name: 'passing gate (faithful simulator)', mode: 'faithful', exit: 0 },
  { name: 'failing gate (retyped-field)', mode: 'retyped-field', exit: 1 },
  { name: 'failing gate (auth-ignored)', mode: 'auth-ignored', exit: 1 },
] as const;

/** Wall time of one whole gate run, cold (a new Playwright process), with the gate's own reporters. */
function timeGate(mode: string, expectedExit: number, extraEnv: Readonly<Record<string, string>> = {}): number {
  const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-gate-'));
  const started = performance.now();
  // The gate's own reporters: the contract reporter is what lets a failing test keep its worker.
  const run = spawnSync(process.execPath, [playwrightCli, 'test'], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, CONTRACT_REPORTS_DIR: reports, SIMULATOR_MODE: mode, ...extraEnv },
    encoding: 'utf8',
  });
  const elapsed = performance.now() - started;
  fs.rmSync(reports, { recursive: true, force: true });
  if (run.status !== expectedExit) {
    throw new UserError(
      `the gate against SIMULATOR_MODE=${mode} exited ${run.status} during the benchmark, not ${expectedExit}: run \`SIMULATOR_MODE=${mode} npm run contract\` to see why`,
    );
  }
  return elapsed;
}

/**
 * Wall time of the whole gate, cold, passing and failing side by side (interleaved, so both see the same machine), their
 * ratio, and where the time goes.
 */
async function benchGate(runs: number): Promise<Figure[]> {
  const times = gateScenarios.map(() => [] as number[]);
  for (let i = 0; i < runs; i++) gateScenarios.forEach((scenario, index) => times[index]!.push(timeGate(scenario.mode, scenario.exit)));
  const listStarted = performance.now();
  spawnSync(process.execPath, [playwrightCli, 'test', '--list', '--reporter=dot'], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    encoding: 'utf8',
  });
  const playwrightStart = performance.now() - listStarted;

  const simStarted = performance.now();
  const simulator = await startSimulator();
  const simulatorStart = performance.now() - simStarted;
  await simulator.stop();

  const precompiledStarted = performance.now();
  const precompiled = precompiledContract();
  const precompiledLoad = performance.now() - precompiledStarted;
  const compileStarted = performance.now();
  compileContract();
  const compile = performance.now() - compileStarted;

  const medians = times.map(median);
  const passing = medians[0]!;
  const figures: Figure[] = [
    {
      section: 'gate',
      name: `npm run contract, ${gateScenarios[0].name}, cold, median of ${runs}`,
      value: round(passing / 1000, 2),
      unit: 's',
      goal: '≤ 4 s',
      met: passing <= 4000,
    },
  ];
  gateScenarios.slice(1).forEach((scenario, index) => {
    const failing = medians[index + 1]!;
    const ratio = failing / passing;
    figures.push(
      { section: 'gate', name: `npm run contract, ${scenario.name}, cold, median of ${runs}`, value: round(failing / 1000, 2), unit: 's' },
      {
        section: 'gate',
        name: `… ${scenario.mode} against passing: ${round(failing / 1000, 2)} s / ${round(passing / 1000, 2)} s`,
        value: round(ratio, 2),
        unit: '×',
        goal: '≤ 1.3×',
        met: ratio <= 1.3,
      },
    );
  });
  figures.push(
    { section: 'gate', name: 'Playwright start and test collection (playwright test --list)', value: round(playwrightStart / 1000, 2), unit: 's' },
    { section: 'gate', name: 'simulator start', value: round(simulatorStart), unit: 'ms' },
    {
      section: 'gate',
      name: precompiled
        ? 'contract load from the standalone validators (contract/validators.generated.js; once per process)'
        : 'contract load: contract/validators.generated.js is STALE (npm run contract:validators), so the gate compiles instead',
      value: round(precompiledLoad),
      unit: 'ms',
    },
    { section: 'gate', name: 'contract load and validator compile at run time (what a stale standalone module costs)', value: round(compile), unit: 'ms' },
  );
  return figures;
}

/**
 * The generated phase's cost: the passing gate at the default CONTRACT_EXAMPLES next to the same gate with
 * CONTRACT_EXAMPLES=0 (interleaved, so both see the same machine); the default is chosen to keep the difference ≤ 1.5 s.
 */
function benchGeneratedPhase(runs: number): Figure[] {
  const withPhase: number[] = [];
  const without: number[] = [];
  for (let i = 0; i < runs; i++) {
    without.push(timeGate('faithful', 0, { CONTRACT_EXAMPLES: '0' }));
    withPhase.push(timeGate('faithful', 0));
  }
  const on = median(withPhase);
  const off = median(without);
  return [
    {
      section: 'gate',
      name: `npm run contract, faithful, generated phase at the default budget (CONTRACT_EXAMPLES=${gateDefaults.examples}), median of ${runs}`,
      value: round(on / 1000, 2),
      unit: 's',
    },
    {
      section: 'gate',
      name: `npm run contract, faithful, without the generated phase (CONTRACT_EXAMPLES=0), median of ${runs}`,
      value: round(off / 1000, 2),
      unit: 's',
    },
    { section: 'gate', name: '… the generated phase costs', value: round((on - off) / 1000, 2), unit: 's', goal: '≤ 1.5 s', met: on - off <= 1500 },
  ];
}

/** Responses validated per second, per operation: the ceiling for a high-rate drift check. */
function benchValidators(seconds: number): Figure[] {
  const contract = loadContract();
  const figures: Figure[] = [];
  for (const operation of contract.operations.values()) {
    const item = contract.document.paths?.[operation.path] as Record<string, { responses: Record<string, unknown> }>;
    const response = item[operation.method]!.responses['200'] as { content: Record<string, { examples: Record<string, { value: unknown }> }> };
    const bodyText = JSON.stringify(response.content['application/json']!.examples.documented!.value);
    const observed = { status: 200, contentType: 'application/json; charset=utf-8', bodyText };
    let count = 0;
    const deadline = performance.now() + seconds * 1000;
    while (performance.now() < deadline) {
      for (let i = 0; i < 500; i++) checkResponse(contract, operation.operationId, observed);
      count += 500;
    }
    figures.push({
      section: 'validators',
      name: `${operation.operationId} 200: parse + validate + undocumented-property check`,
      value: Math.round(count / seconds),
      unit: 'responses/s',
    });
  }
  return figures;
}

function markdown(figures: Figure[], machine: string): string {
  const rows = figures.map(
    (f) => `| ${f.section} | ${f.name} | ${f.value} ${f.unit} | ${f.goal ?? ''} | ${f.met === undefined ? '' : f.met ? 'met' : '**missed**'} |`,
  );
  return [`Measured ${new Date().toISOString()} on ${machine}.`, '', '| section | figure | value | goal | |', '|---|---|---|---|---|', ...rows, ''].join('\n');
}

/** The sections `--only` accepts, in the order they run. */
const benchSections = ['gate', 'validators', 'probe', 'exporter', 'floor', 'blackbox', 'footprint', 'scale', 'real', 'mutation'] as const;
type BenchSection = (typeof benchSections)[number];

const benchUsage = `Usage: npm run bench -- [options]

Prints benchmark figures (never timed tests) and writes bench.json and bench.md.

Options:
  --only LIST          comma-separated sections to run: ${benchSections.join(', ')} (default: all)
                         gate        npm run contract cold, passing and failing side by side with their ratio,
                                     median of --runs runs each, and where the time goes
                         validators  responses checked per second, per operation
                         probe       our probe against prometheus-blackbox-exporter on the same URL
                         exporter    CPU, /metrics time and RSS at 1, 100 and 1,000 targets
                         floor       the gate against a bare Playwright project of the same size, --runs runs each, interleaved
                         blackbox    CPU per probe, ours against blackbox_exporter, same target and rate
                         footprint   RSS and start-up time of the built exporter (npm run build) and through tsx,
                                     next to blackbox_exporter's, same target and /probe rate
                         scale       one exporter, 10,000 targets every 15 s: CPU, /metrics, RSS, schedule delay
                         real        the gate against a real target: the simulator on loopback with 50 ms per answer,
                                     used as a remote API (API_BASE_URL, DELETE opted in), default settings, against a
                                     bare Playwright project of as many one-request tests on the same target, --runs
                                     runs each, interleaved; then no latency with the pace lifted. Prints both times,
                                     their ratio, the requests sent (requests.json and the target's count) and the
                                     busiest minute the target saw (goal ≤ 200)
                         mutation    the generated phase against every simulator mode, default budget and seed: breaking
                                     modes caught (the mutation score), faithful modes passed, requests a passing run
                                     sends (npm run mutation-score prints the tables)
  --runs N             gate, floor and real runs, a whole number >= 1 (default 5)
  --soak-seconds N     seconds of the 1,000-target exporter window, a whole number >= 1 (default 60)
  --out DIR            where bench.json and bench.md go (default reports/)
  -h, --help           print this help and exit

Environment:
  PATH, HOME           passed to the gate runs and the processes the benchmark starts; nothing else is read.
  The probe section needs /usr/bin/prometheus-blackbox-exporter (apt-get install prometheus-blackbox-exporter).

Exit status: 0 when every goal is met, 1 when a figure misses its goal, 2 on a usage error.
`;

interface BenchOptions {
  help: boolean;
  sections: BenchSection[];
  runs: number;
  soakSeconds: number;
  out: string;
}

function isBenchSection(name: string): name is BenchSection {
  return (benchSections as readonly string[]).includes(name);
}

function wholeNumber(raw: string, flag: string): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < 1) {
    throw new UserError(`${flag} must be a whole number >= 1, not "${raw}" (npm run bench -- --help)`);
  }
  return value;
}

/** Parses bench's arguments; every mistake is one UserError (one line, exit 2). */
function parseBenchArgs(args: string[]): BenchOptions {
  let parsed: ReturnType<typeof parseBenchArgv>;
  try {
    parsed = parseBenchArgv(args);
  } catch (error) {
    // node:util parseArgs throws TypeErrors with a code (unknown option, missing value, stray argument).
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new UserError(`${message} (npm run bench -- --help lists the options)`);
  }
  const { values } = parsed;
  const sections: BenchSection[] = [];
  if (values.only !== undefined) {
    const names = values.only.split(',').map((name) => name.trim());
    const unknown = names.filter((name) => !isBenchSection(name));
    if (unknown.length > 0 || names.length === 0) {
      throw new UserError(
        `--only ${JSON.stringify(values.only)}: unknown section ${unknown.map((name) => `"${name}"`).join(', ')}; use one or more of ${benchSections.join(', ')}`,
      );
    }
    for (const name of benchSections) if (names.includes(name)) sections.push(name);
  } else {
    sections.push(...benchSections);
  }
  return {
    help: values.help,
    sections,
    runs: wholeNumber(values.runs, '--runs'),
    soakSeconds: wholeNumber(values['soak-seconds'], '--soak-seconds'),
    out: path.resolve(values.out),
  };
}

function parseBenchArgv(args: string[]) {
  return parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      help: { type: 'boolean', short: 'h', default: false },
      runs: { type: 'string', default: '5' },
      only: { type: 'string' },
      'soak-seconds': { type: 'string', default: '60' },
      out: { type: 'string', default: path.join(repoRoot, 'reports') },
    },
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(benchUsage);
    return;
  }
  const options = parseBenchArgs(args);
  const { sections, runs } = options;
  const figures: Figure[] = [];
  if (sections.includes('gate')) figures.push(...(await benchGate(runs)), ...benchGeneratedPhase(runs));
  if (sections.includes('validators')) figures.push(...benchValidators(2));
  if (sections.includes('probe')) figures.push(...(await benchProbeAccuracy()));
  if (sections.includes('exporter')) figures.push(...(await benchExporterCost(options.soakSeconds)));
  if (sections.includes('floor')) figures.push(...benchFloor(runs));
  if (sections.includes('blackbox')) figures.push(...(await benchBlackbox()));
  if (sections.includes('footprint')) figures.push(...(await benchFootprint()));
  if (sections.includes('scale')) figures.push(...(await benchScale()));
  if (sections.includes('real')) figures.push(...(await benchRealTarget(runs)));
  if (sections.includes('mutation')) figures.push(...(await benchMutationScore()));
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  fs.mkdirSync(options.out, { recursive: true });
  fs.writeFileSync(path.join(options.out, 'bench.json'), `${JSON.stringify({ machine, measuredAt: new Date().toISOString(), figures }, null, 2)}\n`);
  const table = markdown(figures, machine);
  fs.writeFileSync(path.join(options.out, 'bench.md'), table);
  process.stdout.write(table);
  if (figures.some((f) => f.met === false)) process.exitCode = 1;
}

main().catch((error: unknown) => exitOnUserError(error));
