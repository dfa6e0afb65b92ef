// The suite's own tests: they prove the contract gate, the exporter and the tooling work (npm test).
import { defineConfig } from '@playwright/test';
import path from 'node:path';

const reportsDir = path.resolve(__dirname, '..', 'reports', 'self-test');

export default defineConfig({
  testDir: __dirname,
  testMatch: '**/*.test.ts',
  // A run id for this invocation: gate runs shared between test files are keyed by it (helpers/self-test-run.ts).
  globalSetup: require.resolve('./helpers/self-test-run'),
  fullyParallel: true,
  // Three workers on the 2-core machine: while one waits on Prometheus, Alertmanager or an incident drill (about two
  // minutes of the run are such waits), the other two keep both cores busy. Measured in docs/self-tests.md.
  workers: 3,
  forbidOnly: !!process.env.CI,
  timeout: 120_000,
  outputDir: path.join(reportsDir, 'artifacts'),
  reporter: [['list'], ['json', { outputFile: path.join(reportsDir, 'results.json') }]],
});
