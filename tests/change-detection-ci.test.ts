// examples/ci/change-detection.yml is a valid workflow that runs docs:check and drift --propose on a schedule and keeps both reports.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import YAML from 'yaml';
import { repoRoot } from './helpers/processes';

const workflowFile = path.join(repoRoot, 'examples', 'ci', 'change-detection.yml');

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, string | number | boolean>;
}

interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, { steps: Step[] }>;
}

const workflow = (): Workflow => YAML.parse(fs.readFileSync(workflowFile, 'utf8')) as Workflow;

/** Runs a step's script with bash -e, `npm` replaced by a stub that records its arguments and exits `npmExit`. */
function runStep(script: string, env: Record<string, string>, npmExit = 0): { status: number | null; output: string; npmArgs: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'change-ci-'));
  fs.writeFileSync(path.join(dir, 'npm'), `#!/bin/sh\necho "$@" > "${dir}/npm-args"\nexit ${npmExit}\n`, { mode: 0o755 });
  const result = spawnSync('bash', ['--norc', '--noprofile', '-e', '-c', script], {
    cwd: dir,
    env: { PATH: `${dir}:${process.env.PATH ?? ''}`, ...env },
    encoding: 'utf8',
  });
  const argsFile = path.join(dir, 'npm-args');
  return {
    status: result.status,
    output: `${result.stdout}${result.stderr}`,
    npmArgs: fs.existsSync(argsFile) ? fs.readFileSync(argsFile, 'utf8').trim() : '',
  };
}

function step(job: string, command: RegExp): Step {
  const found = workflow().jobs[job]?.steps.find((s) => s.run !== undefined && command.test(s.run));
  expect(found, `${job} has a step running ${command}`).toBeDefined();
  return found!;
}

test('the change-detection workflow passes action-validator and runs on a schedule', () => {
  const validator = path.join(repoRoot, 'node_modules', '.bin', 'action-validator');
  const result = spawnSync(validator, [workflowFile], { cwd: repoRoot, encoding: 'utf8' });
  expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
  expect(Object.keys(workflow().on)).toContain('schedule');
});

test('docs-page runs docs:check on VENDOR_DOCS_URL, fails on a difference, and keeps both report files', () => {
  const docs = step('docs-page', /docs:check/);
  expect(docs.env?.VENDOR_DOCS_URL).toBe('${{ vars.VENDOR_DOCS_URL }}');
  // Values reach the script through env, never spliced into it.
  expect(docs.run).not.toContain('${{');
  const checked = runStep(docs.run!, { VENDOR_DOCS_URL: 'https://docs.example.org/customer-management' });
  expect(checked.npmArgs).toBe('run docs:check -- https://docs.example.org/customer-management');
  expect(runStep(docs.run!, { VENDOR_DOCS_URL: 'https://docs.example.org/x' }, 1).status, 'a difference fails the job').toBe(1);
  const unset = runStep(docs.run!, { VENDOR_DOCS_URL: '' });
  expect(unset.status).toBe(0);
  expect(unset.output).toContain('::notice::VENDOR_DOCS_URL is not set');
  expect(unset.npmArgs).toBe('');
  const upload = workflow().jobs['docs-page']!.steps.find((s) => s.uses?.startsWith('actions/upload-artifact'));
  expect(upload?.if).toBe('${{ !cancelled() }}');
  expect(String(upload?.with?.path).trim().split('\n')).toEqual(['reports/docs-check.json', 'reports/docs-check.md']);
});

test('drift-proposal runs drift --propose against the real API only, and keeps drift and the proposal', () => {
  const drift = step('drift-proposal', /drift -- --propose/);
  expect(drift.env).toMatchObject({ API_BASE_URL: '${{ vars.API_BASE_URL }}', API_TOKEN: '${{ secrets.API_TOKEN }}' });
  expect(drift.run).not.toContain('${{');
  expect(runStep(drift.run!, { API_BASE_URL: 'https://api.example.org/v2/integrations' }).npmArgs).toBe('run drift -- --propose');
  const unset = runStep(drift.run!, { API_BASE_URL: '' });
  expect(unset.status).toBe(0);
  expect(unset.npmArgs, 'no run against the simulator by accident').toBe('');
  const upload = workflow().jobs['drift-proposal']!.steps.find((s) => s.uses?.startsWith('actions/upload-artifact'));
  expect(upload?.if).toBe('${{ !cancelled() }}');
  expect(String(upload?.with?.path).trim().split('\n')).toEqual(expect.arrayContaining(['reports/drift.json', 'reports/drift.md', 'reports/proposed/']));
});
