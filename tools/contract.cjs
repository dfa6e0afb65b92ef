// `npm run contract`: Playwright's test runner in this very process; with --help, the gate's own help comes first.
'use strict';
const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  // TypeScript is loaded only for the help text, so a plain run pays nothing for it.
  const { register } = require('tsx/cjs/api');
  register();
  const { gateHelp } = require('./contract-help.ts');
  process.stdout.write(`${gateHelp()}\nPlaywright's options (npx playwright test --help):\n\n`);
}
const cli = require.resolve('@playwright/test/cli');
process.argv = [process.argv[0], cli, 'test', ...args];
require(cli);
