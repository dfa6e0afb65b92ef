// npm run spec:diff: Optic classifies each one-change fixture pair correctly, git refs work, and bad input is one sentence and exit 2.
// The cases run the command in-process (runSpecDiff: the same arguments, engine, files, lines and exit code as the command);
// the last tests run the real command line end to end, for the exit codes 0, 1 and 2, a git ref and a usage error.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { runSpecDiff as runSpecDiffInProcess, type SpecDiffReport } from '../tools/spec-diff';
import { repoRoot, runProcess, tsxCommand } from './helpers/processes';

const fixturesDir = path.join(repoRoot, 'tests', 'fixtures', 'spec-diff');
const baseSpec = path.join(fixturesDir, 'base.yaml');
const getCustomer200Data = '/paths/~1{customer_id}/get/responses/200/content/application~1json/schema/properties/data/properties';

interface SpecDiffRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  outDir: string;
}

const outDirs: string[] = [];
test.afterEach(() => {
  for (const dir of outDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

// The command resolves relative paths (and names them in its report) from the working directory, as it does when run
// from the repository root; the in-process runs get the same one.
let previousCwd: string | undefined;
test.beforeAll(() => {
  previousCwd = process.cwd();
  process.chdir(repoRoot);
});
test.afterAll(() => {
  if (previousCwd !== undefined) process.chdir(previousCwd);
});

function newOutDir(): string {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'spec-diff-'));
  outDirs.push(outDir);
  return outDir;
}

/** `npm run spec:diff -- ARGS --out DIR` in this process: its stdout and stderr lines are collected as the command would print them. */
async function runSpecDiff(args: string[]): Promise<SpecDiffRun> {
  const outDir = newOutDir();
  const stdout: string[] = [];
  const stderr: string[] = [];
  const exitCode = await runSpecDiffInProcess([...args, '--out', outDir], {
    log: (line) => stdout.push(`${line}\n`),
    error: (line) => stderr.push(`${line}\n`),
  });
  return { exitCode, stdout: stdout.join(''), stderr: stderr.join(''), outDir };
}

/** The real command line, in a child process. */
async function runSpecDiffCommand(args: string[]): Promise<SpecDiffRun> {
  const outDir = newOutDir();
  const { code, stdout, stderr } = await runProcess(...tsxCommand('tools/spec-diff.ts', [...args, '--out', outDir]), { failAfterMs: 120_000 });
  return { exitCode: code ?? -1, stdout, stderr, outDir };
}

function readReport(run: SpecDiffRun): SpecDiffReport {
  return JSON.parse(fs.readFileSync(path.join(run.outDir, 'spec-diff.json'), 'utf8')) as SpecDiffReport;
}

function readMarkdown(run: SpecDiffRun): string {
  return fs.readFileSync(path.join(run.outDir, 'spec-diff.md'), 'utf8');
}

const fixturePairs = [
  {
    variant: 'removed-response-property',
    severity: 'breaking',
    operation: 'getCustomer',
    spec: 'old',
    location: `${getCustomer200Data}/name`,
    rule: 'prevent removing response property',
  },
  {
    variant: 'property-made-optional',
    severity: 'breaking',
    operation: 'getCustomer',
    spec: 'new',
    location: `${getCustomer200Data}/apps_count`,
    rule: 'prevent making response property optional',
  },
  {
    variant: 'retyped-property',
    severity: 'breaking',
    operation: 'getCustomer',
    spec: 'new',
    location: `${getCustomer200Data}/users_count`,
    rule: 'prevent response property type changes',
  },
  {
    variant: 'new-required-parameter',
    severity: 'breaking',
    operation: 'getCustomerUsage',
    spec: 'new',
    location: '/paths/~1{customer_id}~1usage/get/parameters/2',
    rule: 'prevent new required query parameters',
  },
  {
    variant: 'removed-status-code',
    severity: 'breaking',
    operation: 'getCustomer',
    spec: 'old',
    location: '/paths/~1{customer_id}/get/responses/404',
    rule: 'prevent response status code removal',
  },
  { variant: 'new-optional-property', severity: 'non-breaking', operation: 'getCustomer', spec: 'new', location: `${getCustomer200Data}/region`, rule: null },
] as const;

test.describe('npm run spec:diff', () => {
  for (const pair of fixturePairs) {
    test(`reports ${pair.variant} as one ${pair.severity} change`, async () => {
      const run = await runSpecDiff([baseSpec, path.join(fixturesDir, `${pair.variant}.yaml`)]);
      expect(run.exitCode, `exit code; stderr: ${run.stderr}`).toBe(pair.severity === 'breaking' ? 1 : 0);
      const report = readReport(run);
      expect(report.changes, 'exactly the one change the fixture makes').toHaveLength(1);
      expect(report.changes[0], 'the change, its severity and location').toMatchObject({
        severity: pair.severity,
        operation: pair.operation,
        spec: pair.spec,
        location: pair.location,
        rule: pair.rule,
      });
      expect(report.changes[0]!.message, 'a message for the PR comment').not.toBe('');
      const breaking = pair.severity === 'breaking' ? 1 : 0;
      expect(report.summary, 'summary counts').toEqual({ breaking, nonBreaking: 1 - breaking });
      const markdown = readMarkdown(run);
      expect(markdown, 'markdown summary line').toContain(
        `${breaking} breaking, ${1 - breaking} non-breaking changes between tests/fixtures/spec-diff/base.yaml and tests/fixtures/spec-diff/${pair.variant}.yaml`,
      );
      expect(markdown, 'markdown table row names the location').toContain(`\`${pair.location}\``);
    });
  }

  test('finds no changes between identical specs and exits 0', async () => {
    const run = await runSpecDiff([baseSpec, baseSpec]);
    expect(run.exitCode, `exit code; stderr: ${run.stderr}`).toBe(0);
    const report = readReport(run);
    expect(report.changes, 'no changes').toEqual([]);
    expect(report.summary).toEqual({ breaking: 0, nonBreaking: 0 });
    expect(readMarkdown(run), 'markdown summary line').toContain('0 breaking, 0 non-breaking changes between');
  });

  test('reads OLD from a git ref: the contract at HEAD against a variant', async () => {
    const run = await runSpecDiff(['HEAD', path.join(fixturesDir, 'removed-status-code.yaml')]);
    expect(run.exitCode, `exit code; stderr: ${run.stderr}`).toBe(1);
    const report = readReport(run);
    expect(report.old, 'OLD is the contract at HEAD').toMatchObject({ kind: 'git', ref: 'HEAD', path: 'openapi/customer-management.yaml' });
    expect(report.old.kind === 'git' ? report.old.commit : undefined, 'the resolved commit').toMatch(/^[0-9a-f]{40}$/);
    expect(report.changes.map((change) => `${change.severity} ${change.rule} ${change.location}`)).toContain(
      'breaking prevent response status code removal /paths/~1{customer_id}/get/responses/404',
    );
    expect(readMarkdown(run), 'markdown names the ref').toContain(
      'between HEAD:openapi/customer-management.yaml and tests/fixtures/spec-diff/removed-status-code.yaml',
    );
  });

  test('reads REF:path, and the same spec at HEAD on both sides has no changes', async () => {
    const run = await runSpecDiff(['HEAD:openapi/customer-management.yaml', 'HEAD']);
    expect(run.exitCode, `exit code; stderr: ${run.stderr}`).toBe(0);
    const report = readReport(run);
    expect(report.new).toMatchObject({ kind: 'git', ref: 'HEAD', path: 'openapi/customer-management.yaml' });
    expect(report.changes).toEqual([]);
  });

  const badInputs = [
    { name: 'a missing argument', args: [baseSpec], message: /^spec-diff: expected exactly two specs, OLD and NEW, got 1\.$/, usage: true },
    { name: 'an unknown option', args: [baseSpec, baseSpec, '--colour'], message: /^spec-diff: Unknown option '--colour'\.$/, usage: true },
    {
      name: 'a file that does not exist',
      args: ['tests/fixtures/spec-diff/no-such-spec.yaml', baseSpec],
      message: /^spec-diff: OLD file not found: tests\/fixtures\/spec-diff\/no-such-spec\.yaml$/,
      usage: false,
    },
    {
      name: 'a git ref that does not exist',
      args: [baseSpec, 'no-such-ref-for-spec-diff'],
      message: /^spec-diff: NEW no-such-ref-for-spec-diff is neither a file nor a git ref of this repository\.$/,
      usage: false,
    },
    {
      name: 'a path missing at a git ref',
      args: ['HEAD:openapi/no-such-spec.yaml', baseSpec],
      message: /^spec-diff: OLD openapi\/no-such-spec\.yaml does not exist at git ref HEAD\.$/,
      usage: false,
    },
    {
      name: 'a file that is not YAML or JSON',
      args: [baseSpec, 'tests/fixtures/spec-diff/invalid-not-yaml.txt'],
      message: /^spec-diff: NEW \S+invalid-not-yaml\.txt is not valid YAML or JSON: .+ at line \d+, column \d+\.$/,
      usage: false,
    },
    {
      name: 'a YAML document that is not OpenAPI',
      args: ['tests/fixtures/spec-diff/invalid-not-openapi.yaml', baseSpec],
      message: /^spec-diff: OLD \S+invalid-not-openapi\.yaml is not an OpenAPI 3\.x document: its `openapi` field is missing, expected 3\.0\.x or 3\.1\.x\.$/,
      usage: false,
    },
  ];
  for (const bad of badInputs) {
    test(`answers ${bad.name} with one sentence and exit 2`, async () => {
      const run = await runSpecDiff(bad.args);
      expect(run.exitCode, `exit code; stderr: ${run.stderr}`).toBe(2);
      const [firstLine, ...rest] = run.stderr.trimEnd().split('\n');
      expect(firstLine, 'the one-sentence reason').toMatch(bad.message);
      if (bad.usage) expect(rest.join('\n'), 'usage follows a usage error').toContain('usage: npm run spec:diff -- OLD NEW [--out DIR]');
      else expect(rest, 'nothing after the sentence').toEqual([]);
      expect(run.stderr, 'no stack trace').not.toMatch(/\n\s+at /);
      expect(fs.existsSync(path.join(run.outDir, 'spec-diff.json')), 'no report for bad input').toBe(false);
    });
  }

  // End to end through the command line: the entry point, process exit codes and streams. One child per exit code.
  test('the command line exits 1 for a breaking change read from a git ref, 0 for none, 2 with usage for a usage error', async () => {
    test.setTimeout(240_000);
    const [breaking, none, usageError] = await Promise.all([
      runSpecDiffCommand(['HEAD', path.join(fixturesDir, 'removed-status-code.yaml')]),
      runSpecDiffCommand([baseSpec, path.join(fixturesDir, 'new-optional-property.yaml')]),
      runSpecDiffCommand([baseSpec, baseSpec, '--colour']),
    ]);

    expect(breaking.exitCode, `exit code for a breaking change; stderr: ${breaking.stderr}`).toBe(1);
    const breakingReport = readReport(breaking);
    expect(breakingReport.old, 'OLD is the contract at HEAD').toMatchObject({ kind: 'git', ref: 'HEAD', path: 'openapi/customer-management.yaml' });
    expect(breakingReport.changes.map((change) => `${change.severity} ${change.rule} ${change.location}`)).toContain(
      'breaking prevent response status code removal /paths/~1{customer_id}/get/responses/404',
    );
    expect(breaking.stdout, 'the summary line on stdout').toMatch(
      /^spec-diff: \d+ breaking, \d+ non-breaking changes between HEAD:openapi\/customer-management\.yaml and tests\/fixtures\/spec-diff\/removed-status-code\.yaml \(/,
    );

    expect(none.exitCode, `exit code for a non-breaking change; stderr: ${none.stderr}`).toBe(0);
    expect(readReport(none).summary).toEqual({ breaking: 0, nonBreaking: 1 });
    expect(readMarkdown(none), 'markdown summary line').toContain(
      '0 breaking, 1 non-breaking changes between tests/fixtures/spec-diff/base.yaml and tests/fixtures/spec-diff/new-optional-property.yaml',
    );

    expect(usageError.exitCode, `exit code for a usage error; stderr: ${usageError.stderr}`).toBe(2);
    const [firstLine, ...rest] = usageError.stderr.trimEnd().split('\n');
    expect(firstLine, 'the one-sentence reason').toBe("spec-diff: Unknown option '--colour'.");
    expect(rest.join('\n'), 'usage follows a usage error').toContain('usage: npm run spec:diff -- OLD NEW [--out DIR]');
    expect(usageError.stderr, 'no stack trace').not.toMatch(/\n\s+at /);
    expect(fs.existsSync(path.join(usageError.outDir, 'spec-diff.json')), 'no report for bad input').toBe(false);
  });
});
