// The gate proves itself: it passes against the faithful simulator and every faithful variant (on several seeds), and fails, naming the drift, against every breaking mode.
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { simulatorModeNames, simulatorModeSpec, type SimulatorMode } from '../simulator/modes';
import { writeTableRow } from './helpers/results-table';
import { repoRoot, runGate, sharedGateRun } from './helpers/run-gate';

const runsDir = path.join(repoRoot, 'reports', 'self-test', 'gate');

// Each mode's entry in simulator/modes.ts says what the gate must do against it: fail naming the drift, or pass.
const gateModes = simulatorModeNames.filter((mode) => simulatorModeSpec(mode).gate.verdict !== 'not-run');

/**
 * Seeds (beyond the default) a mode that must pass is also run on, generated phase only (the only part a seed changes), on top of the default
 * seed's whole gate: precision on several seeds. `npm run sweep` runs 20 seeds per faithful mode (docs/gate-rules.md).
 */
const extraSeeds = ['1000003'];

interface MutationRow {
  mode: SimulatorMode;
  breaking: boolean;
  caught: boolean;
  evidence: string;
}

/** Runs the gate against one mode and says whether it behaved as it must. */
async function tryMode(mode: SimulatorMode): Promise<MutationRow & { problem: string | undefined }> {
  const { gate, description } = simulatorModeSpec(mode);
  const breaking = gate.verdict === 'fails';
  // Shared: tests/verdicts.test.ts, drift-report.test.ts and findings-html.test.ts read the same runs (helpers/run-gate.ts).
  const run = await sharedGateRun({ env: { SIMULATOR_MODE: mode } });
  const stats = run.results?.stats;
  const ran = (stats?.expected ?? 0) + (stats?.unexpected ?? 0);
  if (!stats || ran < 10) {
    return {
      mode,
      breaking,
      caught: false,
      evidence: '(gate did not run)',
      problem: `the gate ran ${ran} tests against ${mode}:\n${run.stderr.slice(0, 2000)}`,
    };
  }
  if (gate.verdict === 'fails') {
    const match = run.failureText.match(gate.evidence);
    const caught = run.exitCode !== 0 && match !== null;
    return {
      mode,
      breaking,
      caught,
      evidence: match?.[0] ?? `(exit ${run.exitCode}, drift not named)`,
      problem: caught
        ? undefined
        : `the gate must fail against ${mode} (${description}) naming ${String(gate.evidence)}; exit ${run.exitCode}, failures:\n${run.failureText.slice(0, 2000)}`,
    };
  }
  // The gate must pass; a mode with additive drift must also have it reported as a warning.
  const expectedWarning = gate.verdict === 'passes' ? gate.warning : undefined;
  const warned = expectedWarning === undefined || expectedWarning.test(run.annotationText);
  const seeded: string[] = [];
  for (const seed of extraSeeds) {
    const again = await runGate({
      env: { SIMULATOR_MODE: mode, CONTRACT_SEED: seed },
      reportsDir: path.join(runsDir, `${mode}-seed-${seed}`),
      args: ['--grep', 'generated'],
    });
    if (again.exitCode !== 0) seeded.push(`seed ${seed}: exit ${again.exitCode}:\n${again.failureText.slice(0, 1500)}`);
  }
  const caught = run.exitCode === 0 && warned && seeded.length === 0;
  return {
    mode,
    breaking,
    caught,
    evidence: `exit ${run.exitCode}${expectedWarning ? (warned ? ', reported as non-breaking drift' : ', drift NOT reported') : ''}; seeds ${extraSeeds.join(', ')}: ${seeded.length === 0 ? 'passed' : 'FAILED'}`,
    problem: caught
      ? undefined
      : `the gate must pass against ${mode}${expectedWarning ? ` and report ${String(expectedWarning)} as a warning` : ''} on every seed:\n${run.failureText.slice(0, 2000)}\n${seeded.join('\n')}`,
  };
}

// One test per mode, so Playwright spreads them over its workers; each writes its row of the one table
// (reports/self-test/gate/mutation-table.md), which is whole once every mode has run.
test.describe('the mutation table: the gate passes against the faithful simulator and its faithful variants on several seeds, and catches every breaking mode', () => {
  for (const [position, mode] of gateModes.entries()) {
    const { gate } = simulatorModeSpec(mode);
    test(`${mode}: ${gate.verdict === 'fails' ? 'the gate fails naming the drift' : `the gate passes, on seeds default and ${extraSeeds.join(', ')}`}`, async () => {
      test.setTimeout(240_000);
      const result = await tryMode(mode);
      const { markdown, complete } = await writeTableRow({
        tableFile: path.join(runsDir, 'mutation-table.md'),
        header: ['| mode | breaking | caught | evidence |', '|---|---|---|---|'],
        id: mode,
        position,
        row: `| ${mode} | ${result.breaking ? 'yes' : 'no'} | ${result.caught ? 'yes' : '**NO**'} | ${result.evidence.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|')} |`,
        expectedRows: gateModes.length,
      });
      if (complete) console.log(`\nMutation table (caught = failed naming the drift when breaking, passed when not):\n${markdown}\n`);
      expect(result.problem, `mode ${mode}`).toBeUndefined();
    });
  }
});
