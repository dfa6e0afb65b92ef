// `npm run bench`, `npm run simulator`, `npm run scale-out:demo` and `npm run contract` answer --help with their flags and variables; the first three refuse a mistake in one line, exit 2.
import { expect, test } from '@playwright/test';
import { gateVariables, targetVariables } from '../config/settings';
import { runProcess, tsxCommand, type ProcessExit } from './helpers/processes';

/** Runs a TypeScript entry point as npm does (node + tsx) with a clean environment. */
function runCli(script: string, args: string[]): Promise<ProcessExit> {
  return runProcess(...tsxCommand(script, args), { failAfterMs: 30_000 });
}

/** One `error: …` line on stderr, nothing else (no stack trace), exit code 2. */
function expectOneErrorLine(run: ProcessExit, says: RegExp): void {
  expect(run.code, `exit code (stderr: ${run.stderr})`).toBe(2);
  const lines = run.stderr.trim().split('\n');
  expect(lines, 'one line on stderr, no stack trace').toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(says);
  expect(run.stdout, 'nothing on stdout').toBe('');
}

test.describe('npm run bench', () => {
  test('--help lists every option and section and exits 0 without benchmarking', async () => {
    for (const flag of ['--help', '-h']) {
      const run = await runCli('tools/bench.ts', [flag]);
      expect(run.code, run.stderr).toBe(0);
      for (const text of ['Usage: npm run bench', '--only', '--runs', '--soak-seconds', '--out', 'gate', 'validators', 'probe', 'exporter', 'Environment:']) {
        expect(run.stdout, `--help mentions ${text}`).toContain(text);
      }
      expect(run.stderr).toBe('');
    }
  });

  test('an unknown option, a misspelt --only section, a stray argument or a bad number is one error line, exit 2', async () => {
    expectOneErrorLine(await runCli('tools/bench.ts', ['--bogus']), /Unknown option '--bogus'.*--help/);
    expectOneErrorLine(await runCli('tools/bench.ts', ['--only', 'gatee']), /unknown section "gatee".*gate, validators, probe, exporter/);
    expectOneErrorLine(await runCli('tools/bench.ts', ['--only', 'gate,nope']), /unknown section "nope"/);
    expectOneErrorLine(await runCli('tools/bench.ts', ['extra']), /Unexpected argument 'extra'/);
    expectOneErrorLine(await runCli('tools/bench.ts', ['--runs', '0']), /--runs must be a whole number >= 1, not "0"/);
    expectOneErrorLine(await runCli('tools/bench.ts', ['--soak-seconds', 'ten']), /--soak-seconds must be a whole number >= 1/);
  });
});

test.describe('npm run simulator', () => {
  test('--help lists its variables and modes and exits 0 without starting a server', async () => {
    for (const flag of ['--help', '-h']) {
      const run = await runCli('simulator/cli.ts', [flag]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain('Usage: npm run simulator');
      for (const variable of [
        'SIMULATOR_PORT',
        'SIMULATOR_HOST',
        'SIMULATOR_MODE',
        'SIMULATOR_LATENCY_MS',
        'SIMULATOR_ERROR_RATE',
        'SIMULATOR_RATE_LIMIT_PER_MINUTE',
      ]) {
        expect(run.stdout, `--help lists ${variable}`).toContain(variable);
      }
      for (const mode of ['faithful', 'retyped-field', 'rate-limited', 'slow']) expect(run.stdout, `--help lists mode ${mode}`).toContain(mode);
      expect(run.stdout, 'no server was started').not.toContain('simulator listening');
    }
  });

  test('any argument other than --help is one error line, exit 2', async () => {
    expectOneErrorLine(await runCli('simulator/cli.ts', ['--port', '4011']), /unknown option "--port".*SIMULATOR_\* variables/);
    expectOneErrorLine(await runCli('simulator/cli.ts', ['serve']), /unexpected argument "serve"/);
  });
});

test.describe('npm run scale-out:demo', () => {
  test('--help lists its options and exits 0 without starting anything; a mistake is one error line, exit 2', async () => {
    const help = await runCli('tools/scale-out-demo.ts', ['--help']);
    expect(help.code, help.stderr).toBe(0);
    for (const text of ['npm run scale-out:demo', '--shards', '--targets', '--interval', '--measure-seconds'])
      expect(help.stdout, `--help mentions ${text}`).toContain(text);
    expectOneErrorLine(await runCli('tools/scale-out-demo.ts', ['--bogus', '1']), /unknown option --bogus/);
    expectOneErrorLine(await runCli('tools/scale-out-demo.ts', ['--shards', 'two']), /--shards needs a whole number/);
  });
});

test.describe('npm run contract', () => {
  test("--help prints the gate's own help (every gate variable, the reports), then Playwright's options, and runs no test", async () => {
    for (const flag of ['--help', '-h']) {
      const run = await runProcess('node', ['tools/contract.cjs', flag], { failAfterMs: 30_000 });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain('Usage: npm run contract');
      for (const variable of [...Object.keys(targetVariables), ...Object.keys(gateVariables), 'SIMULATOR_MODE'])
        expect(run.stdout, `--help lists ${variable}`).toContain(variable);
      for (const report of ['summary.md', 'junit.xml', 'drift.md', 'coverage.md']) expect(run.stdout, `--help names ${report}`).toContain(report);
      const gateHelpEnds = run.stdout.indexOf("Playwright's options");
      expect(gateHelpEnds, 'the gate help comes first').toBeGreaterThan(run.stdout.indexOf('CONTRACT_STRICTNESS'));
      expect(run.stdout.slice(gateHelpEnds), "Playwright's own options follow").toContain('--grep');
      expect(run.stdout, 'no test ran').not.toMatch(/Contract gate: (PASSED|FAILED)/);
    }
  });
});
