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
  workers: 2,
  forbidOnly: !!process.env.CI,
  timeout: 120_000,
  outputDir: path.join(reportsDir, 'artifacts'),
  reporter: [['list'], ['json', { outputFile: path.join(reportsDir, 'results.json') }]],
});
