// Merging a sharded gate: `npm run contract:merge -- <folder of every shard's blob report>` writes the same reports as one run.
import { defineConfig } from '@playwright/test';
import path from 'node:path';
import { exitOnUserError } from './config/errors';
import { loadGateSettings, loadStrictness } from './config/settings';

// The same reports folder, checked the same way, as playwright.config.ts.
let reportsDir: string;
try {
  reportsDir = loadGateSettings(process.env, __dirname).reportsDir;
} catch (error) {
  exitOnUserError(error);
}

export default defineConfig({
  testDir: path.join(__dirname, 'specs'),
  reporter: [
    // First, as in playwright.config.ts. Coverage is judged on the merged run: every shard's records together.
    [require.resolve('./reporters/contract-reporter'), { outputDir: reportsDir, strictness: loadStrictness(), junitFile: path.join(reportsDir, 'junit.xml') }],
    ['junit', { outputFile: path.join(reportsDir, 'junit.xml') }],
    ['json', { outputFile: path.join(reportsDir, 'results.json') }],
    ['html', { outputFolder: path.join(reportsDir, 'html'), open: 'never' }],
    // After html: writes the run's findings at the top of its index.html.
    [require.resolve('./reporters/findings-html'), { outputDir: reportsDir }],
  ],
});
