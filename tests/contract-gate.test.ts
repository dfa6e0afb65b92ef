// The gate proves itself: it passes against the faithful simulator and fails, naming the drift, against every breaking mode.
import fs from 'node:fs';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { simulatorModes, type SimulatorMode } from '../simulator/modes';
import { repoRoot, runGate } from './helpers/run-gate';

const runsDir = path.join(repoRoot, 'reports', 'self-test', 'gate');

/** What the gate's failure output must say for each breaking mode: proof that it names what drifted. */
const expectedEvidence: Partial<Record<SimulatorMode, RegExp>> = {
  'renamed-field': /\/data\/apps_count: missing required property/,
  'retyped-field': /\/data\/users_count: type mismatch: expected "integer", observed "25"/,
  'missing-required-field': /\/data\/account_sid: missing required property/,
  'non-iso-date': /\/data\/created_at: format mismatch/,
  'changed-envelope': /\/success: missing required property/,
  'auth-ignored': /answered 200, expected 401/,
  'any-token': /answered 200, expected 401/,
  'unknown-customer-200': /answered 200, expected 404/,
  'unknown-customer-500': /answered 500, expected 404/,
  'auth-403': /answered 403, expected 401 \(.*\); 403 is not a documented status/,
  'text-plain': /content type mismatch: expected \["application\/json"\], observed "text\/plain/,
  'html-errors': /body is not JSON/,
  'usage-period-ignored': /a date-only start_date begins at T00:00:00.000Z/,
  'delete-noop': /answered 200, expected 404/,
  'cross-tenant': /must not succeed/,
  'error-rate': /answered 500, expected 200/,
  'rate-limited': /answered 429/,
  'malformed-json': /body is not JSON/,
};

const gateModes = (Object.keys(simulatorModes) as SimulatorMode[]).filter((mode) => simulatorModes[mode].gate);

interface MutationRow {
  mode: SimulatorMode;
  breaking: boolean;
  caught: boolean;
  evidence: string;
}

/** Runs the gate against one mode and says whether it behaved as it must. */
async function tryMode(mode: SimulatorMode): Promise<MutationRow & { problem: string | undefined }> {
  const { breaking } = simulatorModes[mode];
  const run = await runGate({ env: { SIMULATOR_MODE: mode }, reportsDir: path.join(runsDir, mode) });
  const stats = run.results?.stats;
  const ran = (stats?.expected ?? 0) + (stats?.unexpected ?? 0);
  if (!stats || ran < 10) {
    return { mode, breaking, caught: false, evidence: '(gate did not run)', problem: `the gate ran ${ran} tests against ${mode}:\n${run.stderr.slice(0, 2000)}` };
  }
  if (!breaking) {
    const additiveReported = mode !== 'undocumented-field' || /non-breaking drift in getCustomer 200: \/data\/region: undocumented property/.test(run.annotationText);
    const caught = run.exitCode === 0 && additiveReported;
    return {
      mode,
      breaking,
      caught,
      evidence: `exit ${run.exitCode}${mode === 'undocumented-field' ? (additiveReported ? ', reported as non-breaking drift' : ', drift NOT reported') : ''}`,
      problem: caught ? undefined : `the gate must pass against ${mode} and report additive drift as a warning:\n${run.failureText.slice(0, 2000)}`,
    };
  }
  const evidence = expectedEvidence[mode];
  const match = evidence ? run.failureText.match(evidence) : null;
  const caught = run.exitCode !== 0 && match !== null;
  return {
    mode,
    breaking,
    caught,
    evidence: match?.[0] ?? `(exit ${run.exitCode}, drift not named)`,
    problem: caught ? undefined : `the gate must fail against ${mode} (${simulatorModes[mode].description}) naming ${String(evidence)}; exit ${run.exitCode}, failures:\n${run.failureText.slice(0, 2000)}`,
  };
}

test('the gate passes against the faithful simulator and catches every breaking mode (mutation table)', async () => {
  test.setTimeout(600_000);
  const rows: Array<Awaited<ReturnType<typeof tryMode>>> = [];
  const queue = [...gateModes];
  // Two gate runs at a time: a 2-core machine, each run a Playwright process with its own worker.
  await Promise.all(
    [0, 1].map(async () => {
      for (let mode = queue.shift(); mode; mode = queue.shift()) rows.push(await tryMode(mode));
    }),
  );
  rows.sort((a, b) => gateModes.indexOf(a.mode) - gateModes.indexOf(b.mode));
  const markdown = [
    '| mode | breaking | caught | evidence |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.mode} | ${r.breaking ? 'yes' : 'no'} | ${r.caught ? 'yes' : '**NO**'} | ${r.evidence.replace(/\|/g, '\\|')} |`),
  ].join('\n');
  fs.mkdirSync(runsDir, { recursive: true });
  fs.writeFileSync(path.join(runsDir, 'mutation-table.md'), `${markdown}\n`);
  console.log(`\nMutation table (caught = failed naming the drift when breaking, passed when not):\n${markdown}\n`);
  expect(rows.map((r) => r.mode)).toEqual(gateModes);
  expect(Object.keys(expectedEvidence).sort(), 'every breaking mode has declared evidence').toEqual(gateModes.filter((m) => simulatorModes[m].breaking).sort());
  for (const row of rows) expect.soft(row.problem, `mode ${row.mode}`).toBeUndefined();
});
