// The long precision sweep: the contract gate against simulator modes on many seeds, and the table of verdicts it prints.
//
//   npm run sweep                                   # every faithful mode (gate: passes) on 20 seeds (+ the default seed)
//   npm run sweep -- --seeds 5 --modes date-only,gone-410
//   npm run sweep -- --gate [--full]                # run the real gate (Playwright) per mode and seed instead
//
// A faithful mode must pass on every seed. By default the sweep replays, in process, exactly the requests the generated
// phase draws for each seed (the same categories, seeds and example counts, contract/generators.ts) against an
// in-process simulator in that mode, judged by the same checks (contract/generated-checks.ts), once with every customer present and
// once after the disposable customer's DELETE: the part of the gate a seed changes, ~100× faster than a Playwright run
// per seed (shrinking only makes a failure smaller; it never turns a verdict). `--gate` runs `playwright test --grep
// generated` (or, with --full, the whole gate) per mode and seed; the mutation table (tests/contract-gate.test.ts) runs
// the whole gate on each mode.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gateDefaults } from '../config/settings';
import { loadContract } from '../contract';
import { defaultRunSeed } from '../contract/generators';
import { simulatorModeNames, simulatorModeSpec, type SimulatorMode } from '../simulator/modes';
import { startSimulator } from '../simulator/server';
import { deleteDisposable, drawCases, gatingFinding, sendCase, simulatorGenerationTarget } from './generated-replay';

interface Options {
  seeds: number[];
  modes: SimulatorMode[];
  gate: boolean;
  full: boolean;
  concurrency: number;
}

const usage = 'usage: npm run sweep -- [--seeds N | --seed-list a,b,c] [--modes m1,m2] [--breaking] [--gate [--full] [--concurrency N]]';

function parseArgs(argv: readonly string[]): Options {
  let count = 20;
  let list: number[] | undefined;
  let modes: SimulatorMode[] | undefined;
  let breaking = false;
  let full = false;
  let gate = false;
  let concurrency = 2;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value\n${usage}`);
      return v;
    };
    if (arg === '--seeds') count = Number(value());
    else if (arg === '--seed-list') list = value().split(',').map(Number);
    else if (arg === '--modes') modes = value().split(',') as SimulatorMode[];
    else if (arg === '--breaking') breaking = true;
    else if (arg === '--full') full = true;
    else if (arg === '--gate') gate = true;
    else if (arg === '--concurrency') concurrency = Number(value());
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${usage}\n`);
      process.exit(0);
    } else throw new Error(`unknown argument ${JSON.stringify(arg)}\n${usage}`);
  }
  if (!Number.isInteger(count) || count < 1) throw new Error(`--seeds must be a whole number ≥ 1\n${usage}`);
  const unknown = (modes ?? []).filter((m) => !simulatorModeNames.includes(m));
  if (unknown.length > 0) throw new Error(`not simulator modes: ${unknown.join(', ')}`);
  const chosen =
    modes ??
    simulatorModeNames.filter((m) => {
      const verdict = simulatorModeSpec(m).gate.verdict;
      return verdict === 'passes' || (breaking && verdict === 'fails');
    });
  // Seeds spread over the range, fixed so two sweeps are comparable.
  const seeds = list ?? Array.from({ length: count }, (_, i) => (1_000_003 * (i + 1)) % 2_147_483_647);
  return { seeds, modes: chosen, gate, full, concurrency: Math.max(1, concurrency) };
}

const repoRoot = path.resolve(__dirname, '..');
const playwrightCli = require.resolve('@playwright/test/cli');

/** Runs the gate once; resolves with its exit code and the first failure line. */
function runGate(mode: SimulatorMode, seed: number, full: boolean, dir: string): Promise<{ code: number; first: string }> {
  fs.rmSync(dir, { recursive: true, force: true });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TMPDIR: process.env.TMPDIR,
    SIMULATOR_MODE: mode,
    CONTRACT_SEED: String(seed),
    CONTRACT_REPORTS_DIR: dir,
    CONTRACT_FAILURE_DB: path.join(dir, 'failure-db.json'),
  };
  const args = [playwrightCli, 'test', '-c', path.join(repoRoot, 'playwright.config.ts'), ...(full ? [] : ['--grep', 'generated'])];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out = (out + chunk.toString('utf8')).slice(-200_000)));
    child.stderr.on('data', (chunk: Buffer) => (out = (out + chunk.toString('utf8')).slice(-200_000)));
    child.on('close', (code) => {
      const clean = out.replace(/\u001b\[[0-9;]*m/g, '');
      const first = /^\s*(?:✗|!) .*$/m.exec(clean)?.[0]?.trim() ?? /error: .*$/m.exec(clean)?.[0] ?? '';
      resolve({ code: code ?? -1, first: first.slice(0, 200) });
    });
  });
}

const contract = loadContract();

/** Replays one seed's generated examples against a mode; returns the first gating finding, or undefined when the phase would pass. */
async function predict(mode: SimulatorMode, runSeed: number): Promise<string | undefined> {
  const simulator = await startSimulator({ mode, latencyMs: 0, errorRate: 0 });
  try {
    const cases = drawCases(runSeed, gateDefaults.examples, simulatorGenerationTarget(simulator)).map((drawn) => drawn.case);
    for (const phase of ['before the DELETE', 'after the DELETE'] as const) {
      if (phase === 'after the DELETE') await deleteDisposable(simulator);
      // 16 at a time (none changes the simulator's state), judged in order.
      for (let from = 0; from < cases.length; from += 16) {
        const batch = cases.slice(from, from + 16);
        const exchanges = await Promise.all(batch.map((generated) => sendCase(simulator, generated)));
        for (const [i, generated] of batch.entries()) {
          const exchange = exchanges[i]!;
          const gating = gatingFinding(generated, exchange);
          if (gating) return `${phase}: ${exchange.request.method} ${exchange.request.url.slice(0, 120)}: ${gating.slice(0, 200)}`;
        }
      }
    }
    return undefined;
  } finally {
    await simulator.stop();
  }
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (!options.gate) return sweepInProcess(options);
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'contract-sweep-'));
  const jobs = options.modes.flatMap((mode) => options.seeds.map((seed) => ({ mode, seed })));
  const results = new Map<SimulatorMode, { pass: number; fail: number; wrong: string[] }>();
  for (const mode of options.modes) results.set(mode, { pass: 0, fail: 0, wrong: [] });
  const started = Date.now();
  let done = 0;
  await Promise.all(
    Array.from({ length: options.concurrency }, async (_, worker) => {
      for (let job = jobs.shift(); job; job = jobs.shift()) {
        const run = await runGate(job.mode, job.seed, options.full, path.join(base, `w${worker}`));
        const row = results.get(job.mode)!;
        const expected = simulatorModeSpec(job.mode).gate.verdict;
        if (run.code === 0) row.pass += 1;
        else row.fail += 1;
        const right = expected === 'passes' ? run.code === 0 : expected === 'fails' ? run.code !== 0 : true;
        if (!right) row.wrong.push(`seed ${job.seed}: exit ${run.code} ${run.first}`);
        done += 1;
        process.stderr.write(`\r${done}/${done + jobs.length} runs`);
      }
    }),
  );
  fs.rmSync(base, { recursive: true, force: true });
  const seconds = Math.round((Date.now() - started) / 1000);
  const lines = [
    '',
    `Precision sweep: ${options.modes.length} mode(s) × ${options.seeds.length} seed(s), ${options.full ? 'whole gate' : 'generated phase'} per run, ${seconds} s`,
    '',
    '| mode | gate must | passed | failed | as it must |',
    '|---|---|---|---|---|',
  ];
  let wrong = 0;
  for (const mode of options.modes) {
    const row = results.get(mode)!;
    const must = simulatorModeSpec(mode).gate.verdict;
    const right = options.seeds.length - row.wrong.length;
    wrong += row.wrong.length;
    lines.push(`| ${mode} | ${must === 'passes' ? 'pass' : must === 'fails' ? 'fail' : '-'} | ${row.pass} | ${row.fail} | ${right}/${options.seeds.length} |`);
  }
  for (const mode of options.modes) for (const w of results.get(mode)!.wrong) lines.push(`  ${mode}: ${w}`);
  lines.push('', wrong === 0 ? 'every run as it must' : `${wrong} run(s) not as they must`);
  process.stdout.write(`${lines.join('\n')}\n`);
  process.exitCode = wrong === 0 ? 0 : 1;
}

/** The default sweep: each mode × (the default seed and the given seeds), predicted in process. */
async function sweepInProcess(options: Options): Promise<void> {
  const seeds = [defaultRunSeed(contract.document), ...options.seeds];
  const started = Date.now();
  const lines = [
    '',
    `Precision sweep (in process, the generated phase's requests): ${options.modes.length} mode(s) × ${seeds.length} seed(s) (the default seed ${seeds[0]} and ${options.seeds.length} more)`,
    '',
    '| mode | gate must | passed | failed | as it must |',
    '|---|---|---|---|---|',
  ];
  const wrongs: string[] = [];
  for (const mode of options.modes) {
    const must = simulatorModeSpec(mode).gate.verdict;
    let pass = 0;
    let fail = 0;
    for (const seed of seeds) {
      const failure = await predict(mode, seed);
      if (failure === undefined) pass += 1;
      else fail += 1;
      if (must === 'passes' && failure !== undefined) wrongs.push(`  ${mode} seed ${seed}: ${failure}`);
    }
    const right = must === 'passes' ? pass : must === 'fails' ? fail : seeds.length;
    lines.push(`| ${mode} | ${must === 'passes' ? 'pass' : must === 'fails' ? 'fail' : '-'} | ${pass} | ${fail} | ${right}/${seeds.length} |`);
    process.stderr.write(`\r${mode} done`);
  }
  lines.push(
    ...wrongs,
    '',
    `${Math.round((Date.now() - started) / 1000)} s; ${wrongs.length === 0 ? 'every faithful mode passed on every seed' : `${wrongs.length} faithful run(s) failed`}`,
  );
  lines.push('(a breaking mode the generated phase alone does not catch shows passes here: the hand-written specs catch it, tests/contract-gate.test.ts)');
  process.stdout.write(`${lines.join('\n')}\n`);
  process.exitCode = wrongs.length === 0 ? 0 : 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
});
