// The CI templates in examples/ci/ are valid and do what they say: install, run the gate with the token from the CI
// secret store, keep the reports the gate really writes, write the summary, and fail the build when the gate fails.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import YAML from 'yaml';
import { repoRoot, runGate, type GateRun } from './helpers/run-gate';

const examplesDir = path.join(repoRoot, 'examples', 'ci');
const githubFile = path.join(examplesDir, 'github-actions.yml');
const gitlabFile = path.join(examplesDir, 'gitlab-ci.yml');
const actionValidator = path.join(repoRoot, 'node_modules', '.bin', 'action-validator');

interface GithubStep {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, string | number | boolean>;
  'continue-on-error'?: boolean | string;
}

interface GithubWorkflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<string, { 'runs-on': string; 'continue-on-error'?: boolean; steps: GithubStep[] }>;
}

interface GitlabJob {
  stage: string;
  image: string;
  script: string[];
  after_script?: string[];
  allow_failure?: boolean;
  variables?: Record<string, string>;
  artifacts: { when: string; paths: string[]; reports: { junit: string | string[] } };
}

/** Report paths a template keeps, relative to reports/ ("html/" for a folder). */
function reportPaths(paths: string[]): string[] {
  return paths.map((p) => {
    expect(p, `${p} is under reports/`).toMatch(/^reports\//);
    return p.replace(/^reports\//, '');
  });
}

/** The gate as the templates run it, its reports in <workspace>/reports; the workspace is where template scripts run. */
async function gateInWorkspace(env: Record<string, string>): Promise<{ run: GateRun; workspace: string }> {
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'ci-template-'));
  const run = await runGate({ env: { CI: 'true', ...env }, reportsDir: path.join(workspace, 'reports') });
  return { run, workspace };
}

/** Runs a template's shell snippet with bash -e in the workspace (no rc files: the runner's shell is not ours). */
function runScript(script: string, workspace: string, env: Record<string, string> = {}): { status: number | null; output: string } {
  const result = spawnSync('bash', ['--norc', '--noprofile', '-e', '-c', script], {
    cwd: workspace,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

// What GitHub passes for unset repository variables and secrets: empty strings.
const unsetVariables = { API_BASE_URL: '', API_CUSTOMER_ID: '', API_OTHER_CUSTOMER_ID: '', API_TOKEN: '' };

/** A scheduled real-target job whose variables are missing must fail, naming API_BASE_URL, and never judge the simulator. */
function expectMissingTargetFails(result: { status: number | null; output: string }): void {
  expect(result.status, `the job must fail:\n${result.output}`).not.toBe(0);
  expect(result.output).toContain('CONTRACT_REQUIRE_TARGET=1');
  expect(result.output).toContain('API_BASE_URL is not set');
  expect(result.output, 'no test ran').not.toMatch(/Contract gate: PASSED|passed \(/);
}

test.describe('GitHub Actions template', () => {
  const workflow = (): GithubWorkflow => YAML.parse(fs.readFileSync(githubFile, 'utf8')) as GithubWorkflow;
  const steps = (): GithubStep[] => Object.values(workflow().jobs)[0]?.steps ?? [];

  test('passes action-validator (the workflow schema, offline)', () => {
    expect(fs.existsSync(actionValidator), 'npm ci installs @action-validator/cli').toBe(true);
    const result = spawnSync(actionValidator, [githubFile], { cwd: repoRoot, encoding: 'utf8' });
    expect(result.status, `action-validator rejected ${githubFile}:\n${result.stdout}${result.stderr}`).toBe(0);
    // And it does reject a broken workflow, so a pass means something.
    const broken = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ci-broken-')), 'broken.yml');
    fs.writeFileSync(broken, fs.readFileSync(githubFile, 'utf8').replace('runs-on:', 'runs_on:'));
    expect(spawnSync(actionValidator, [broken], { cwd: repoRoot, encoding: 'utf8' }).status, 'a misspelt key is rejected').not.toBe(0);
  });

  test('installs, runs the gate (the simulator on pull requests, the real API with API_TOKEN from the secret store on schedule), and lets a failing gate fail the job', () => {
    const wf = workflow();
    expect(Object.keys(wf.jobs)).toHaveLength(1);
    expect(wf.permissions, 'read-only token').toEqual({ contents: 'read' });
    expect(Object.keys(wf.on), 'pull requests, pushes, nightly and manual runs').toEqual(
      expect.arrayContaining(['pull_request', 'push', 'schedule', 'workflow_dispatch']),
    );
    const all = steps();
    const job = Object.values(wf.jobs)[0];
    expect(job?.['continue-on-error'], 'the job may fail').toBeUndefined();
    const install = all.findIndex((s) => s.run?.trim() === 'npm ci --no-audit --no-fund');
    const gates = all.flatMap((s, index) => (s.run?.includes('npm run contract') ? [index] : []));
    expect(install, 'an npm ci step').toBeGreaterThan(-1);
    expect(gates, 'two gate steps: the simulator and the real API').toHaveLength(2);
    for (const index of gates) {
      expect(index, 'the gate runs after the install').toBeGreaterThan(install);
      expect(all[index]!['continue-on-error'], 'a failing gate fails the job').toBeUndefined();
    }
    const simulator = all.find((s) => s.run?.trim() === 'npm run contract');
    const real = all.find((s) => s.env?.CONTRACT_REQUIRE_TARGET !== undefined);
    expect(simulator?.if, 'the simulator on everything but the schedule and manual runs').toMatch(
      /github\.event_name != 'schedule' && github\.event_name != 'workflow_dispatch'/,
    );
    expect(
      Object.keys(simulator?.env ?? {}).filter((name) => name.startsWith('API_')),
      'no API_* variable reaches a pull request',
    ).toEqual([]);
    expect(real?.if, 'the real API on the schedule and manual runs').toMatch(/github\.event_name == 'schedule' \|\| github\.event_name == 'workflow_dispatch'/);
    expect(real?.env?.CONTRACT_REQUIRE_TARGET, 'a real-target run without API_BASE_URL fails').toBe('1');
    expect(real?.env?.API_TOKEN, 'the token comes from the secret store').toBe('${{ secrets.API_TOKEN }}');
    expect(real?.env?.API_BASE_URL, 'the real API from the repository variable, with no fallback').toBe('${{ vars.API_BASE_URL }}');
    expect(fs.readFileSync(githubFile, 'utf8'), 'no token is written into the template').not.toMatch(/API_TOKEN:\s*['"]?[A-Za-z0-9._-]{12,}/);
    expect(fs.readFileSync(githubFile, 'utf8'), "no `|| ''` that turns a missing variable into the simulator").not.toMatch(/\|\|\s*''/);
    // The steps after the gate run when it failed, and only then does the job's failure stand.
    for (const step of all.slice(Math.max(...gates) + 1)) expect(step.if, `"${step.name}" runs after a failed gate`).toBe('${{ !cancelled() }}');
    expect(
      all.some((s) => s.uses?.startsWith('actions/upload-artifact@')),
      'reports are uploaded',
    ).toBe(true);
  });

  test('a scheduled run whose API_BASE_URL variable is missing fails, naming it, instead of passing against the simulator', () => {
    const real = steps().find((s) => s.env?.CONTRACT_REQUIRE_TARGET !== undefined);
    // GitHub passes missing variables and secrets as empty strings; the step's script runs the gate from the repository.
    const result = runScript(real?.run ?? 'false', repoRoot, { ...unsetVariables, CONTRACT_REQUIRE_TARGET: '1', CI: 'true' });
    expectMissingTargetFails(result);
  });

  test("uploads what the gate writes, and the job summary is the gate's summary.md, after a passing, a failing and a stopped gate", async () => {
    test.setTimeout(180_000);
    const all = steps();
    const upload = all.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
    const uploaded = reportPaths(
      String(upload?.with?.path ?? '')
        .split('\n')
        .map((p) => p.trim())
        .filter(Boolean),
    );
    expect(uploaded, 'junit, html, drift and the summary files').toEqual(
      expect.arrayContaining(['junit.xml', 'html/', 'summary.md', 'drift.md', 'drift.json', 'coverage.md']),
    );
    const summaryStep = all.find((s) => s.run?.includes('GITHUB_STEP_SUMMARY'));
    expect(summaryStep?.run, 'a job summary step for a gate that wrote no report').toBeDefined();

    for (const scenario of [
      { mode: 'faithful', gatePasses: true, summarySays: /PASS|pass/ },
      { mode: 'retyped-field', gatePasses: false, summarySays: /users_count/ },
      { mode: 'no-such-mode', gatePasses: false, summarySays: /the gate stopped before any test/ },
    ]) {
      // With CI=true and no API_* variable: the simulator, as on a pull request. GitHub sets GITHUB_STEP_SUMMARY for
      // every step, the gate's included.
      const summary = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gh-summary-')), 'step-summary.md');
      const { run, workspace } = await gateInWorkspace({ SIMULATOR_MODE: scenario.mode, GITHUB_STEP_SUMMARY: summary });
      try {
        expect(run.exitCode === 0, `gate against ${scenario.mode}: exit ${run.exitCode}\n${run.stdout}${run.stderr}`).toBe(scenario.gatePasses);
        const wroteReports = fs.existsSync(path.join(workspace, 'reports', 'summary.md'));
        expect(wroteReports, `the gate wrote its reports (${scenario.mode})`).toBe(scenario.mode !== 'no-such-mode');
        if (wroteReports)
          for (const file of uploaded)
            expect(fs.existsSync(path.join(workspace, 'reports', file)), `the gate wrote reports/${file} (${scenario.mode})`).toBe(true);
        const result = runScript(summaryStep?.run ?? '', workspace, { GITHUB_STEP_SUMMARY: summary });
        expect(result.status, `the summary step failed:\n${result.output}`).toBe(0);
        const written = fs.readFileSync(summary, 'utf8');
        if (wroteReports) {
          const own = fs.readFileSync(path.join(workspace, 'reports', 'summary.md'), 'utf8').trim();
          expect(written.split(own).length - 1, `the job summary holds the gate's summary.md exactly once (${scenario.mode})`).toBe(1);
        }
        expect(written).toMatch(scenario.summarySays);
      } finally {
        fs.rmSync(workspace, { recursive: true, force: true });
        fs.rmSync(path.dirname(summary), { recursive: true, force: true });
      }
    }
  });
});

test.describe('GitLab CI template', () => {
  const pipeline = (): Record<string, unknown> => YAML.parse(fs.readFileSync(gitlabFile, 'utf8')) as Record<string, unknown>;
  const job = (): GitlabJob => pipeline()['contract-gate'] as GitlabJob;

  test('parses, and its one job installs, runs the gate and keeps JUnit and the reports whatever the outcome', () => {
    const doc = pipeline();
    expect(doc.stages).toEqual(['test']);
    const j = job();
    expect(j.stage).toBe('test');
    expect(j.image, 'a Node image the suite supports (engines >= 20)').toMatch(/^node:(2\d|[3-9]\d)/);
    for (const line of [...j.script, ...(j.after_script ?? [])])
      expect(typeof line, `every script line is one shell string: ${JSON.stringify(line)}`).toBe('string');
    const install = j.script.indexOf('npm ci --no-audit --no-fund');
    const gate = j.script.indexOf('npm run contract');
    expect(install).toBeGreaterThan(-1);
    expect(gate, "the gate runs after the install, as the last script line so its exit code is the job's").toBe(j.script.length - 1);
    expect(j.allow_failure, 'a failing gate fails the pipeline').toBeUndefined();
    expect(Object.keys(j.variables ?? {}), 'no credential is written into the template (they are CI/CD variables)').not.toEqual(
      expect.arrayContaining(['API_TOKEN']),
    );
    expect(j.artifacts.when, 'reports are kept when the gate fails').toBe('always');
    expect(j.artifacts.reports.junit, 'JUnit for the merge request test tab').toBe('reports/junit.xml');
    expect(reportPaths(j.artifacts.paths)).toEqual(expect.arrayContaining(['junit.xml', 'html/', 'summary.md', 'drift.md', 'drift.json', 'coverage.md']));
  });

  test('keeps only files the gate writes, and prints the summary after a failing gate', async () => {
    test.setTimeout(120_000);
    const j = job();
    const { run, workspace } = await gateInWorkspace({ SIMULATOR_MODE: 'retyped-field' });
    try {
      expect(run.exitCode, 'the gate fails against a drifting API').not.toBe(0);
      for (const file of [...reportPaths(j.artifacts.paths), ...reportPaths([String(j.artifacts.reports.junit)])]) {
        expect(fs.existsSync(path.join(workspace, 'reports', file)), `the gate wrote reports/${file}`).toBe(true);
      }
      expect(fs.readFileSync(path.join(workspace, 'reports', 'junit.xml'), 'utf8'), 'JUnit records the failure').toMatch(/<failure/);
      const after = runScript((j.after_script ?? []).join('\n'), workspace);
      expect(after.status, after.output).toBe(0);
      expect(after.output, "the gate's summary lands in the job log").toContain('users_count');
      // Outside a schedule the script drops API_BASE_URL, so a merge request never reaches the real API.
      const unset = runScript(`${j.script.filter((line) => line.includes('API_BASE_URL')).join('\n')}\necho "base=\${API_BASE_URL-unset}"`, workspace, {
        API_BASE_URL: 'https://api.example.invalid/v2/integrations',
        CI_PIPELINE_SOURCE: 'merge_request_event',
      });
      expect(unset.output.trim()).toBe('base=unset');
    } finally {
      fs.rmSync(workspace, { recursive: true, force: true });
    }
  });

  test('a scheduled pipeline whose API_BASE_URL variable is missing or empty fails, naming it, instead of passing against the simulator', () => {
    const script = job()
      .script.filter((line) => !line.startsWith('npm ci'))
      .join('\n');
    const cases: Array<Record<string, string>> = [{}, { API_BASE_URL: '', API_TOKEN: '' }];
    for (const missing of cases) {
      const result = runScript(script, repoRoot, { ...missing, CI_PIPELINE_SOURCE: 'schedule', CI: 'true' });
      expectMissingTargetFails(result);
    }
  });
});
