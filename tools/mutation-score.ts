// What the generated phase's requests buy: the simulator's breaking modes it catches (the mutation score) beside the
// requests it sends, per CONTRACT_EXAMPLES budget, so a cut that weakens the gate shows.
//
//   npm run mutation-score                               # the default budget and seed: every mode, then the table
//   npm run mutation-score -- --examples 1,15            # two budgets side by side
//   npm run mutation-score -- --in-process-only          # only the per-example table (seconds, no Playwright)
//
// Two measurements. In process (seconds): every data example the seed draws, sent to an in-process simulator in each
// mode (before and after the disposable customer's DELETE) and judged by the same checks: which modes each example
// catches, so an example that catches nothing another does not is visible. Then the real thing: `playwright test --grep
// generated` per mode (SIMULATOR_MODE, the default seed, a copy of the failure database so its saved inputs are replayed
// and nothing is written back), counting the modes caught (breaking: the phase fails) and kept (faithful: it passes) and
// the requests the relay sent (requests.json's `generated`). The whole gate's table is tests/contract-gate.test.ts.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { JSONReport, JSONReportSuite } from '@playwright/test/reporter';
import { exitOnUserError, UserError } from '../config/errors';
import { gateDefaults } from '../config/settings';
import { loadContract } from '../contract';
import { defaultRunSeed } from '../contract/generators';
import { simulatorModeNames, simulatorModeSpec, type SimulatorMode } from '../simulator/modes';
import { startSimulator } from '../simulator/server';
import { loadAverage, loadText, repoRoot, round, type Figure } from './bench-common';
import { deleteDisposable, drawCases, gatingFinding, sendCase, simulatorGenerationTarget } from './generated-replay';

const playwrightCli = require.resolve('@playwright/test/cli');

/** The modes the gate is judged against (not `not-run`), breaking first as in the table. */
function gateModes(): SimulatorMode[] {
  return simulatorModeNames.filter((mode) => simulatorModeSpec(mode).gate.verdict !== 'not-run');
}

const isBreaking = (mode: SimulatorMode): boolean => simulatorModeSpec(mode).gate.verdict === 'fails';

/** One category of one generated test, in process: how many examples it drew and which modes they catch. */
export interface CategoryRow {
  test: string;
  category: number;
  /** A sample input of the category (its first example's `why`). */
  sample: string;
  examples: number;
  /** Breaking modes its first example catches. */
  first: SimulatorMode[];
  /** Breaking modes only its later examples catch (what more examples of this category add). */
  later: SimulatorMode[];
  /** Faithful modes one of its examples fails: a false positive, a defect. */
  falsePositives: SimulatorMode[];
}

/** The in-process measurement of one budget. */
export interface InProcessScore {
  examples: number;
  seed: number;
  /** Data examples drawn (each one request). */
  requests: number;
  caught: SimulatorMode[];
  /** Breaking modes that would still be caught with each category's first example alone. */
  caughtByFirst: SimulatorMode[];
  categories: CategoryRow[];
}

/** Which modes each data example of (seed, examples) catches, in process. */
export async function inProcessScore(seed: number, examples: number, modes: readonly SimulatorMode[]): Promise<InProcessScore> {
  const rows = new Map<string, CategoryRow>();
  let requests = 0;
  for (const mode of modes) {
    // Random 500s and 429s are the Playwright runs' business: here every answer is the mode's deliberate one.
    const simulator = await startSimulator({ mode, latencyMs: 0, errorRate: 0 });
    try {
      const drawn = drawCases(seed, examples, simulatorGenerationTarget(simulator));
      requests = drawn.length;
      for (const phase of ['before', 'after'] as const) {
        if (phase === 'after') await deleteDisposable(simulator);
        for (const { test, category, example, case: generated } of drawn) {
          const key = `${test} #${category}`;
          const row = rows.get(key) ?? { test, category, sample: generated.why, examples: 0, first: [], later: [], falsePositives: [] };
          rows.set(key, row);
          if (phase === 'before' && mode === modes[0]) row.examples += 1;
          const exchange = await sendCase(simulator, generated);
          if (exchange.status === 429 || gatingFinding(generated, exchange) === undefined) continue;
          const list = !isBreaking(mode) ? row.falsePositives : example === 0 ? row.first : row.later;
          if (!list.includes(mode)) list.push(mode);
        }
      }
    } finally {
      await simulator.stop();
    }
  }
  const categories = [...rows.values()];
  for (const row of categories) row.later = row.later.filter((mode) => !row.first.includes(mode));
  const caughtByFirst = modes.filter((mode) => categories.some((row) => row.first.includes(mode)));
  const caught = modes.filter((mode) => categories.some((row) => row.first.includes(mode) || row.later.includes(mode)));
  return { examples, seed, requests, caught, caughtByFirst, categories };
}

/** One `playwright test --grep generated` run against one mode. */
export interface ModeRun {
  mode: SimulatorMode;
  breaking: boolean;
  exitCode: number;
  /** As the mode's table entry says: a breaking mode failed the phase, a faithful one passed it. */
  asItMust: boolean;
  /** A breaking mode's failure output names its drift (the mode's `evidence`), as the whole gate's must. */
  named: boolean;
  failingTests: string[];
  /** Requests the relay sent for the generated phase (requests.json's `generated`). */
  requests: number;
  /** Of the phase's requests, how many each test sent (its request log). */
  byTest: Record<string, number>;
}

/** The generated phase against one mode, its reports in `dir`; the failure database a copy of the repository's. */
function runGeneratedPhase(mode: SimulatorMode, seed: number, examples: number, dir: string, extraEnv: Record<string, string>): Promise<ModeRun> {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const db = path.join(dir, 'failure-db.json');
  const repositoryDb = path.join(repoRoot, 'contract', 'failure-db.json');
  if (fs.existsSync(repositoryDb)) fs.copyFileSync(repositoryDb, db);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TMPDIR: process.env.TMPDIR,
    SIMULATOR_MODE: mode,
    CONTRACT_SEED: String(seed),
    CONTRACT_EXAMPLES: String(examples),
    CONTRACT_REPORTS_DIR: dir,
    CONTRACT_FAILURE_DB: db,
    ...extraEnv,
  };
  const args = [playwrightCli, 'test', '-c', path.join(repoRoot, 'playwright.config.ts'), '--grep', 'generated'];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-20_000)));
    child.once('error', reject);
    child.once('close', (code) => {
      try {
        resolve(readModeRun(mode, code ?? -1, dir, stderr));
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  });
}

function readModeRun(mode: SimulatorMode, exitCode: number, dir: string, stderr: string): ModeRun {
  const resultsFile = path.join(dir, 'results.json');
  const trafficFile = path.join(dir, 'requests.json');
  if (!fs.existsSync(resultsFile) || !fs.existsSync(trafficFile))
    throw new UserError(
      `the generated phase against SIMULATOR_MODE=${mode} wrote no report (exit ${exitCode}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
    );
  const results = JSON.parse(fs.readFileSync(resultsFile, 'utf8')) as JSONReport;
  const traffic = JSON.parse(fs.readFileSync(trafficFile, 'utf8')) as { requests: number; generated?: number };
  const failingTests: string[] = [];
  const failures: string[] = [];
  const visit = (suite: JSONReportSuite): void => {
    for (const spec of suite.specs) {
      const errors = spec.tests.flatMap((t) => t.results.flatMap((r) => r.errors.map((e) => e.message)));
      if (errors.length > 0) failingTests.push(spec.title);
      failures.push(...errors);
    }
    suite.suites?.forEach(visit);
  };
  results.suites.forEach(visit);
  const byTest: Record<string, number> = {};
  const log = path.join(dir, 'test-results', 'generated-requests.jsonl');
  if (fs.existsSync(log)) {
    for (const line of fs.readFileSync(log, 'utf8').split('\n').filter(Boolean)) {
      const title = ((JSON.parse(line) as { test: string }).test.split(' › ').at(-1) ?? '').replace(/: seeded examples from the document$/, '');
      byTest[title] = (byTest[title] ?? 0) + 1;
    }
  }
  const gate = simulatorModeSpec(mode).gate;
  const breaking = gate.verdict === 'fails';
  const text = failures.join('\n').replace(/\u001b\[[0-9;]*m/g, '');
  return {
    mode,
    breaking,
    exitCode,
    asItMust: breaking ? exitCode === 1 : exitCode === 0,
    named: breaking && exitCode === 1 && gate.evidence.test(text),
    failingTests,
    requests: traffic.generated ?? traffic.requests,
    byTest,
  };
}

/** The Playwright measurement of one budget: every mode, `parallel` runs at a time. */
export interface PhaseScore {
  examples: number;
  seed: number;
  runs: ModeRun[];
  /** Breaking modes the phase failed on / breaking modes. */
  caught: number;
  breaking: number;
  /** Faithful modes the phase passed on / faithful modes. */
  kept: number;
  faithful: number;
  /** The phase's requests against the faithful simulator: what a passing run sends. */
  requests: number;
  seconds: number;
}

export async function phaseScore(
  seed: number,
  examples: number,
  modes: readonly SimulatorMode[],
  parallel: number,
  extraEnv: Record<string, string> = {},
): Promise<PhaseScore> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'mutation-score-'));
  const started = performance.now();
  const queue = [...modes];
  const runs: ModeRun[] = [];
  let done = 0;
  try {
    await Promise.all(
      Array.from({ length: Math.max(1, parallel) }, async (_, worker) => {
        for (let mode = queue.shift(); mode; mode = queue.shift()) {
          runs.push(await runGeneratedPhase(mode, seed, examples, path.join(base, `w${worker}`), extraEnv));
          done += 1;
          process.stderr.write(`\rCONTRACT_EXAMPLES=${examples}: ${done}/${modes.length} modes`);
        }
      }),
    );
  } finally {
    process.stderr.write('\n');
    fs.rmSync(base, { recursive: true, force: true });
  }
  runs.sort((a, b) => modes.indexOf(a.mode) - modes.indexOf(b.mode));
  const breakingRuns = runs.filter((r) => r.breaking);
  const faithfulRuns = runs.filter((r) => !r.breaking);
  return {
    examples,
    seed,
    runs,
    caught: breakingRuns.filter((r) => r.asItMust).length,
    breaking: breakingRuns.length,
    kept: faithfulRuns.filter((r) => r.asItMust).length,
    faithful: faithfulRuns.length,
    requests: runs.find((r) => r.mode === 'faithful')?.requests ?? NaN,
    seconds: round((performance.now() - started) / 1000, 1),
  };
}

/** The figures `npm run bench` prints for the default budget and seed (its `mutation` section). */
export async function benchMutationScore(parallel = 2): Promise<Figure[]> {
  const seed = defaultRunSeed(loadContract().document);
  const score = await phaseScore(seed, gateDefaults.examples, gateModes(), parallel);
  return mutationFigures(score);
}

function mutationFigures(score: PhaseScore): Figure[] {
  const head = `generated phase, CONTRACT_EXAMPLES=${score.examples}, default seed ${score.seed}`;
  return [
    {
      section: 'mutation',
      name: `${head}: breaking simulator modes it fails on (mutation score)`,
      value: score.caught,
      unit: `of ${score.breaking}`,
    },
    {
      section: 'mutation',
      name: `${head}: faithful modes it passes`,
      value: score.kept,
      unit: `of ${score.faithful}`,
      goal: 'all',
      met: score.kept === score.faithful,
    },
    { section: 'mutation', name: `${head}: requests a passing run sends (requests.json generated)`, value: score.requests, unit: 'requests' },
  ];
}

function list(modes: readonly string[]): string {
  return modes.length === 0 ? '–' : modes.join(', ');
}

function inProcessMarkdown(score: InProcessScore, breakingModes: number): string[] {
  const lines = [
    `### In process: CONTRACT_EXAMPLES=${score.examples}, seed ${score.seed}: ${score.requests} data examples catch ${score.caught.length} of ${breakingModes} breaking modes (${round(score.caught.length / Math.max(1, score.requests), 3)} a request); each category's first example alone: ${score.caughtByFirst.length}`,
    '',
    '| test | category | sample input | examples | breaking modes its first example catches | only later examples catch | faithful modes it fails |',
    '|---|---|---|---|---|---|---|',
    ...score.categories.map(
      (row) =>
        `| ${row.test} | ${row.category + 1} | ${row.sample.slice(0, 70).replace(/\|/g, '\\|')} | ${row.examples} | ${list(row.first)} | ${list(row.later)} | ${row.falsePositives.length ? `**${list(row.falsePositives)}**` : '–'} |`,
    ),
    '',
  ];
  return lines;
}

function phaseMarkdown(score: PhaseScore): string[] {
  const byTest = score.runs.find((r) => r.mode === 'faithful')?.byTest ?? {};
  return [
    `### Playwright: CONTRACT_EXAMPLES=${score.examples}, seed ${score.seed}: mutation score ${score.caught}/${score.breaking} breaking modes caught, ${score.kept}/${score.faithful} faithful modes passed, ${score.requests} requests a passing run (${score.seconds} s)`,
    '',
    `Requests of a passing run by test: ${Object.entries(byTest)
      .map(([test, count]) => `${test} ${count}`)
      .join('; ')}`,
    '',
    '| mode | breaking | as it must | names the drift | failing tests | requests |',
    '|---|---|---|---|---|---|',
    ...score.runs.map(
      (r) =>
        `| ${r.mode} | ${r.breaking ? 'yes' : 'no'} | ${r.asItMust ? 'yes' : r.breaking ? 'not caught here' : '**NO: failed**'} | ${r.breaking ? (r.named ? 'yes' : 'no') : ''} | ${r.failingTests.join('; ').replace(/\|/g, '\\|') || '–'} | ${r.requests} |`,
    ),
    '',
    '(a breaking mode not caught here is caught, or not, by the hand-written specs: tests/contract-gate.test.ts runs the whole gate)',
    '',
  ];
}

const usage = `Usage: npm run mutation-score -- [options]

The generated phase's mutation score (the simulator's breaking modes it catches) beside the requests it sends.

Options:
  --examples LIST      comma-separated CONTRACT_EXAMPLES budgets to compare (default ${gateDefaults.examples}, the gate's default)
  --seed N             the run seed (default: the gate's default seed, derived from the OpenAPI document)
  --modes LIST         comma-separated simulator modes (default: every mode the gate is judged against)
  --parallel N         Playwright runs at a time (default 2)
  --in-process-only    only the per-example table (seconds; no Playwright)
  --out DIR            where mutation-score.json and mutation-score.md go (default reports/)
  -h, --help           print this help and exit

Exit status: 0 when every faithful mode passed, 1 when one failed (a false positive), 2 on a usage error.
`;

function wholeNumbers(raw: string, flag: string, min: number): number[] {
  const values = raw.split(',').map((part) => part.trim());
  for (const value of values)
    if (!/^\d+$/.test(value) || Number(value) < min) throw new UserError(`${flag} takes whole numbers >= ${min}, not ${JSON.stringify(value)} (--help)`);
  return values.map(Number);
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: process.argv.slice(2),
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: 'boolean', short: 'h', default: false },
        examples: { type: 'string', default: String(gateDefaults.examples) },
        seed: { type: 'string' },
        modes: { type: 'string' },
        parallel: { type: 'string', default: '2' },
        'in-process-only': { type: 'boolean', default: false },
        out: { type: 'string', default: path.join(repoRoot, 'reports') },
      },
    });
  } catch (error) {
    throw new UserError(`${error instanceof Error ? error.message.split('\n')[0] : String(error)} (npm run mutation-score -- --help)`);
  }
  const { values } = parsed;
  if (values.help) return void process.stdout.write(usage);
  const budgets = wholeNumbers(values.examples, '--examples', 1);
  const seed = values.seed === undefined ? defaultRunSeed(loadContract().document) : wholeNumbers(values.seed, '--seed', 0)[0]!;
  const parallel = wholeNumbers(values.parallel, '--parallel', 1)[0]!;
  const modes = values.modes === undefined ? gateModes() : values.modes.split(',').map((m) => m.trim());
  const unknown = modes.filter((m) => !(simulatorModeNames as string[]).includes(m));
  if (unknown.length > 0) throw new UserError(`--modes: not simulator modes: ${unknown.join(', ')} (npm run simulator -- --help lists them)`);
  const chosen = modes as SimulatorMode[];
  const load = loadAverage();
  const inProcess: InProcessScore[] = [];
  for (const examples of budgets) inProcess.push(await inProcessScore(seed, examples, chosen));
  const phases: PhaseScore[] = [];
  const breakingModes = chosen.filter(isBreaking).length;
  /** Writes the reports with what is measured so far (after each budget: a long run interrupted keeps what it measured). */
  const write = (): string => {
    const markdown = [
      `# Mutation score of the generated phase (${new Date().toISOString()}, ${loadText(load)})`,
      '',
      ...phases.map(
        (p) =>
          `- CONTRACT_EXAMPLES=${p.examples}: **${p.caught}/${p.breaking}** breaking modes caught by the generated phase, ${p.kept}/${p.faithful} faithful modes passed, **${p.requests}** requests a passing run`,
      ),
      ...inProcess.map(
        (s) =>
          `- in process, CONTRACT_EXAMPLES=${s.examples}: ${s.requests} data examples catch ${s.caught.length}/${breakingModes} (first examples alone ${s.caughtByFirst.length})`,
      ),
      '',
      ...phases.flatMap(phaseMarkdown),
      ...inProcess.flatMap((s) => inProcessMarkdown(s, breakingModes)),
    ].join('\n');
    fs.mkdirSync(values.out, { recursive: true });
    fs.writeFileSync(path.join(values.out, 'mutation-score.md'), `${markdown}\n`);
    fs.writeFileSync(
      path.join(values.out, 'mutation-score.json'),
      `${JSON.stringify({ measuredAt: new Date().toISOString(), load, seed, phases, inProcess }, null, 2)}\n`,
    );
    return markdown;
  };
  if (!values['in-process-only'])
    for (const examples of budgets) {
      phases.push(await phaseScore(seed, examples, chosen, parallel));
      write();
    }
  const markdown = write();
  process.stdout.write(`${markdown}\n`);
  const falsePositives = phases.some((p) => p.kept < p.faithful) || inProcess.some((s) => s.categories.some((row) => row.falsePositives.length > 0));
  process.exitCode = falsePositives ? 1 : 0;
}

if (require.main === module) main().catch((error: unknown) => exitOnUserError(error));
