// The gate's own `--help` (npm run contract -- --help): its variables and reports, before Playwright's options.
import { gateVariables, simulatorVariables, targetVariables } from '../config/settings';

const reports: ReadonlyArray<readonly [string, string]> = [
  ['summary.md', 'the headline and every finding with its evidence and curl (appended to $GITHUB_STEP_SUMMARY when set)'],
  ['junit.xml', 'for CI test tabs; each failure lists its findings'],
  ['html/', "Playwright's HTML report (npx playwright show-report reports/html)"],
  ['drift.json, drift.md', 'every finding, deduplicated, with its evidence, the tests that saw it and its curl'],
  ['coverage.json, coverage.md', 'operation × documented status: answered, probed, or missing'],
  ['requests.json', 'requests the run sent to the target, by method'],
];

function table(rows: ReadonlyArray<readonly [string, string]>): string {
  const width = Math.max(...rows.map(([name]) => name.length));
  return rows.map(([name, text]) => `  ${name.padEnd(width)}  ${text}`).join('\n');
}

/** The help text: usage, the variables (from config/settings.ts), the reports, and where Playwright's options follow. */
export function gateHelp(): string {
  return [
    'Usage: npm run contract [-- PLAYWRIGHT_OPTIONS]',
    '',
    'The contract gate: checks the Customer Management API against openapi/customer-management.yaml. With API_BASE_URL unset it',
    'runs against the embedded reference simulator. Exit code 0: the API keeps its contract; 1: a gating finding, a throttled',
    'test or missing coverage; 2: a configuration error (one line says what to fix).',
    '',
    'Environment (every variable: docs/configuration.md):',
    table(Object.entries({ ...targetVariables, ...gateVariables, SIMULATOR_MODE: simulatorVariables.SIMULATOR_MODE })),
    '',
    `Reports (in CONTRACT_REPORTS_DIR, default reports/):`,
    table(reports),
    '',
    'Examples:',
    '  npm run contract',
    '  npm run contract -- --grep usage',
    '  SIMULATOR_MODE=retyped-field npm run contract',
    '',
  ].join('\n');
}
