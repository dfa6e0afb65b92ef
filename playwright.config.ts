// The contract gate: specs/ against the embedded simulator (default) or API_BASE_URL, reports under reports/.
import { defineConfig } from '@playwright/test';
import crypto from 'node:crypto';
import path from 'node:path';
import { exitOnUserError } from './config/errors';
import { readFailureDb } from './contract/failure-db';
import type { AcceptedFindings } from './config/accepted-findings';
import { loadAcceptedFindingsSetting, loadGateSettings, loadGeneratedSettings, loadStrictness, type GateSettings } from './config/settings';
import { handedOverTarget } from './specs/support/run-handoff';

// Checked when the config loads, before anything starts: a bad or misspelt setting (CONTRACT_READONLY, CONTRACT_WORKERS=abc)
// is one `error: ...` line and exit code 2, never a run that silently ignores it.
let settings: GateSettings;
/**
 * Playwright loads this file again in every worker, for the project's options only: the reporters (and their accepted
 * findings), the failure database's check and the seed are the runner's, which checked them before any worker started.
 * A gate worker is told apart by what only it has: Playwright's worker index and this run's relay handoff (set by global
 * setup, after the runner loaded this file).
 */
const inGateWorker = process.env.TEST_WORKER_INDEX !== undefined && handedOverTarget(process.env) !== undefined;
let acceptedFindings: AcceptedFindings | undefined;
try {
  settings = loadGateSettings(process.env, __dirname, { acceptedFindings: !inGateWorker });
  if (!inGateWorker) {
    const generated = loadGeneratedSettings();
    // A bad failure database stops the run here with one line, not in every worker.
    if (generated.failureDb) readFailureDb(generated.failureDb);
    // CONTRACT_SEED=random: one seed for the whole run, drawn and printed here; the workers inherit it.
    if (generated.seed === 'random') {
      const seed = crypto.randomInt(0, 2 ** 31 - 1);
      process.env.CONTRACT_SEED = String(seed);
      process.stdout.write(`CONTRACT_SEED=random: this run's seed is ${seed} (replay it with CONTRACT_SEED=${seed})\n`);
    }
    acceptedFindings = loadAcceptedFindingsSetting(process.env, __dirname);
  }
} catch (error) {
  exitOnUserError(error);
}

/** Where reports go; the suite's own tests point parallel runs at separate folders. */
const reportsDir = settings.reportsDir;

export default defineConfig({
  testDir: path.join(__dirname, 'specs'),
  testMatch: '**/*.spec.ts',
  // Plain JavaScript (ajv standalone code, `npm run contract:validators`): Playwright's transform would pass its 266 KB
  // through babel into a 1.2 MB cached copy (source map inline) that every process reads, hashes and compiles: more CPU than
  // `require` in the runner and again in each worker (measured in docs/benchmarks.md).
  build: { external: ['**/contract/validators.generated.js'] },
  globalSetup: require.resolve('./specs/support/global-setup'),
  // Tests within a file run in order (the DELETE file depends on it); files are spread over workers.
  fullyParallel: false,
  workers: settings.workers,
  // Retries would hide a flaky API: a contract gate reports what it saw, once.
  retries: 0,
  forbidOnly: !!process.env.CI,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  outputDir: path.join(reportsDir, 'test-results'),
  // The contract reporter comes first: it turns contract verdicts back into failures before the others see a test, and
  // prints the run's summary last (reporters/contract-reporter.ts).
  reporter: [
    [
      require.resolve('./reporters/contract-reporter'),
      {
        outputDir: reportsDir,
        strictness: loadStrictness(),
        stepSummaryFile: process.env.GITHUB_STEP_SUMMARY || undefined,
        acceptedFindings,
        junitFile: path.join(reportsDir, 'junit.xml'),
      },
    ],
    [process.env.CI ? 'dot' : 'list'],
    ['junit', { outputFile: path.join(reportsDir, 'junit.xml') }],
    ['json', { outputFile: path.join(reportsDir, 'results.json') }],
    ['html', { outputFolder: path.join(reportsDir, 'html'), open: 'never' }],
    // After html: writes the run's findings at the top of its index.html.
    [require.resolve('./reporters/findings-html'), { outputDir: reportsDir }],
  ],
  use: {
    // No trace by default: recording one costs every test its API calls written to disk (about 0.7 s of a 6 s run), and a
    // contract verdict's message already holds its record, body and curl. For a failure that is not a verdict, rerun with
    // `npm run contract -- --trace retain-on-failure` (the relay keeps the token out of traces either way).
    trace: 'off',
  },
});
