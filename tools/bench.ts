// Benchmarks that print figures (never timed tests): gate wall time, validator throughput, probe accuracy, exporter cost.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { checkResponse, compileContract, loadContract } from '../contract';
import { exitOnUserError, UserError } from '../config/errors';
import { startSimulator } from '../simulator/server';
import { benchExporterCost, benchProbeAccuracy } from './bench-exporter';

const repoRoot = path.resolve(__dirname, '..');
const playwrightCli = require.resolve('@playwright/test/cli');

/** One measured figure with its unit and, where the issue sets one, its goal. */
export interface Figure {
  section: string;
  name: string;
  value: number;
  unit: string;
  goal?: string;
  met?: boolean;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Wall time of the whole gate, cold (a new Playwright process each run), and where that time goes. */
async function benchGate(runs: number): Promise<Figure[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-gate-'));
    const started = performance.now();
    const run = spawnSync(process.execPath, [playwrightCli, 'test', '--reporter=dot'], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, CONTRACT_REPORTS_DIR: reports },
      encoding: 'utf8',
    });
    times.push(performance.now() - started);
    if (run.status !== 0) throw new UserError(`the gate failed during the benchmark (exit ${run.status}): run \`npm run contract\` to see why`);
    fs.rmSync(reports, { recursive: true, force: true });
  }
  const listStarted = performance.now();
  spawnSync(process.execPath, [playwrightCli, 'test', '--list', '--reporter=dot'], { cwd: repoRoot, env: { PATH: process.env.PATH, HOME: process.env.HOME }, encoding: 'utf8' });
  const playwrightStart = performance.now() - listStarted;

  const simStarted = performance.now();
  const simulator = await startSimulator();
  const simulatorStart = performance.now() - simStarted;
  await simulator.stop();

  const compileStarted = performance.now();
  compileContract();
  const compile = performance.now() - compileStarted;

  const gate = median(times);
  return [
    { section: 'gate', name: `npm run contract against the simulator, cold, median of ${runs}`, value: round(gate / 1000, 2), unit: 's', goal: '≤ 4 s', met: gate <= 4000 },
    { section: 'gate', name: 'Playwright start and test collection (playwright test --list)', value: round(playwrightStart / 1000, 2), unit: 's' },
    { section: 'gate', name: 'simulator start', value: round(simulatorStart), unit: 'ms' },
    { section: 'gate', name: 'contract load and validator compile (once per worker)', value: round(compile), unit: 'ms' },
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
    figures.push({ section: 'validators', name: `${operation.operationId} 200: parse + validate + undocumented-property check`, value: Math.round(count / seconds), unit: 'responses/s' });
  }
  return figures;
}

function markdown(figures: Figure[], machine: string): string {
  const rows = figures.map((f) => `| ${f.section} | ${f.name} | ${f.value} ${f.unit} | ${f.goal ?? ''} | ${f.met === undefined ? '' : f.met ? 'met' : '**missed**'} |`);
  return [`Measured ${new Date().toISOString()} on ${machine}.`, '', '| section | figure | value | goal | |', '|---|---|---|---|---|', ...rows, ''].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '5' },
      only: { type: 'string' },
      'soak-seconds': { type: 'string', default: '60' },
      out: { type: 'string', default: path.join(repoRoot, 'reports') },
    },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new UserError(`--runs must be a whole number ≥ 1, not "${values.runs}"`);
  const sections = values.only ? values.only.split(',') : ['gate', 'validators', 'probe', 'exporter'];
  const figures: Figure[] = [];
  if (sections.includes('gate')) figures.push(...(await benchGate(runs)));
  if (sections.includes('validators')) figures.push(...benchValidators(2));
  if (sections.includes('probe') || sections.includes('exporter')) {
    if (sections.includes('probe')) figures.push(...(await benchProbeAccuracy()));
    if (sections.includes('exporter')) figures.push(...(await benchExporterCost(Number(values['soak-seconds']))));
  }
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  fs.mkdirSync(values.out, { recursive: true });
  fs.writeFileSync(path.join(values.out, 'bench.json'), `${JSON.stringify({ machine, measuredAt: new Date().toISOString(), figures }, null, 2)}\n`);
  const table = markdown(figures, machine);
  fs.writeFileSync(path.join(values.out, 'bench.md'), table);
  process.stdout.write(table);
  if (figures.some((f) => f.met === false)) process.exitCode = 1;
}

main().catch((error: unknown) => exitOnUserError(error));
