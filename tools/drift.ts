// npm run drift: the contract gate's read-only checks against API_BASE_URL (or the simulator), never a DELETE; fails on breaking drift.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const repoRoot = path.resolve(__dirname, '..');
const playwrightCli = require.resolve('@playwright/test/cli');
const reportsDir = path.resolve(repoRoot, process.env.CONTRACT_REPORTS_DIR ?? 'reports');

const usage = `usage: npm run drift [-- [--propose] <playwright test options>]

Runs the contract specs read-only (CONTRACT_READ_ONLY=1: DELETE never runs and the disposable
customer's credential is dropped, whatever API_ALLOW_DELETE says) against API_BASE_URL, or the
embedded simulator when it is unset. Writes ${path.relative(repoRoot, reportsDir) || '.'}/drift.{json,md}, coverage.{json,md} and
summary.md (the gate also appends summary.md to $GITHUB_STEP_SUMMARY when that is set).
--propose: then turns the run's findings into a proposed contract in ${path.relative(repoRoot, reportsDir) || '.'}/proposed/ (npm run spec:propose --
--help says what it writes); the real document is never touched.
Exit 0: no failing finding; 1: a failing finding or a failed check; 2: the run produced no report (or --propose failed).`;

async function main(): Promise<number> {
  const given = process.argv.slice(2);
  if (given.includes('-h') || given.includes('--help')) {
    console.log(usage);
    return 0;
  }
  const propose = given.includes('--propose');
  const args = given.filter((arg) => arg !== '--propose');
  // Both switches, so that either alone still keeps DELETE off: read-only drops the credential, API_ALLOW_DELETE=0 skips the spec.
  // A run that stops before any test must not leave the last run's verdict behind for this one to read.
  for (const name of ['drift.json', 'drift.md', 'coverage.json', 'coverage.md', 'summary.md']) fs.rmSync(path.join(reportsDir, name), { force: true });
  const env = { ...process.env, CONTRACT_READ_ONLY: '1', API_ALLOW_DELETE: '0', CONTRACT_REPORTS_DIR: reportsDir };
  const child = spawn(process.execPath, [playwrightCli, 'test', '-c', path.join(repoRoot, 'playwright.config.ts'), ...args], {
    cwd: repoRoot,
    env,
    stdio: 'inherit',
  });
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  process.on('SIGTERM', forward('SIGTERM'));
  process.on('SIGINT', forward('SIGINT'));
  const gateExit = await new Promise<number>((resolve) => child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 2))));

  const driftFile = path.join(reportsDir, 'drift.json');
  if (!fs.existsSync(driftFile)) {
    console.error(`drift: the contract run wrote no ${driftFile} (exit ${gateExit}): see the errors above`);
    return gateExit === 0 ? 2 : gateExit;
  }
  if (propose) {
    // A separate process: the proposal is its own command (npm run spec:propose), run here on this run's findings.
    const proposal = spawnSync(
      process.execPath,
      [require.resolve('tsx/cli'), path.join(__dirname, 'propose.ts'), '--from', driftFile, '--out', path.join(reportsDir, 'proposed')],
      // It needs no credential: the target's variables (the token among them) stay out of its environment.
      { cwd: repoRoot, env: Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('API_'))), stdio: 'inherit' },
    );
    if (proposal.status !== 0) {
      console.error(`drift: --propose failed (exit ${proposal.status ?? 'signal'}): see above`);
      return 2;
    }
  }
  // The gate's own summary (reports/summary.md) already went to $GITHUB_STEP_SUMMARY when that is set.
  const drift = JSON.parse(fs.readFileSync(driftFile, 'utf8')) as { headline: string; summary: { gating: number } };
  if (drift.summary.gating > 0) {
    console.error(`drift: ${drift.summary.gating} failing finding(s): ${drift.headline}; see ${path.join(reportsDir, 'summary.md')}`);
    return 1;
  }
  return gateExit;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`drift: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  },
);
