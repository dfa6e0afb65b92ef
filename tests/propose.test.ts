// `npm run drift -- --propose` turns additive drift into a proposed contract that lints, that spec:diff calls non-breaking and that
// the gate then passes without those findings; a retyped field is proposed for the owner to decide, never applied.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { parse as parseYaml } from 'yaml';
import { contractDocumentPath, loadGateSettings } from '../config/settings';
import { repoRoot, runProcess, tsxCommand, type ProcessExit } from './helpers/processes';
import { userError } from './helpers/user-error';

const contractFile = path.join(repoRoot, 'openapi', 'customer-management.yaml');
const redocly = path.join(repoRoot, 'node_modules', '.bin', 'redocly');

interface Drift {
  findings: { pointer: string; kind: string; operation: string }[];
}

interface Proposal {
  kind: string;
  applied: boolean;
  operation: string;
  finding: string;
  pointer: string;
  schema?: Record<string, unknown>;
}

interface ProposalReport {
  specDiff: string;
  decisionsSpecDiff?: string;
  applied: Proposal[];
  decisions: Proposal[];
}

function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** npm run drift -- --propose against the embedded simulator in `mode`, reports in a fresh folder. */
async function driftPropose(mode: string, extraEnv: Record<string, string> = {}, propose = true): Promise<{ run: ProcessExit; reports: string }> {
  const reports = fs.mkdtempSync(path.join(os.tmpdir(), `propose-${mode}-`));
  const run = await runProcess(...tsxCommand('tools/drift.ts', [...(propose ? ['--propose'] : []), '--workers=1']), {
    env: { SIMULATOR_MODE: mode, CONTRACT_REPORTS_DIR: reports, ...extraEnv },
    failAfterMs: 240_000,
  });
  return { run, reports };
}

function readJson(file: string): unknown {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

test.describe('drift --propose', () => {
  test.describe.configure({ timeout: 480_000 });

  test('additive drift (undocumented-field): the proposal lints, spec:diff calls it non-breaking, and the gate on it has no findings left', async () => {
    const before = sha256(contractFile);
    const { run, reports } = await driftPropose('undocumented-field');
    expect(run.code, `drift --propose exit; stderr: ${run.stderr}`).toBe(0);
    expect(sha256(contractFile), 'the real document is never touched').toBe(before);
    const drift = readJson(path.join(reports, 'drift.json')) as Drift;
    const drifted = drift.findings.filter((f) => f.kind === 'undocumented-property').map((f) => f.pointer);
    expect(drifted.sort(), 'the mode drifts as it says').toEqual(['/data/region', '/data/usage/recording_minutes']);

    const proposed = path.join(reports, 'proposed', 'customer-management.yaml');
    const report = readJson(path.join(reports, 'proposed', 'proposal.json')) as ProposalReport;
    expect(report.specDiff).toBe('non-breaking');
    expect(report.decisions).toEqual([]);
    expect(report.applied.map((p) => [p.kind, p.pointer])).toEqual([
      ['add-property', '/components/schemas/Customer/properties/region'],
      ['add-property', '/components/schemas/UsageCounters/properties/recording_minutes'],
    ]);

    // Optional properties with the observed JSON type, marked x-observed with date, operation and response count.
    const document = parseYaml(fs.readFileSync(proposed, 'utf8')) as {
      components: { schemas: Record<string, { required: string[]; properties: Record<string, Record<string, unknown>> }> };
    };
    const region = document.components.schemas.Customer!.properties.region!;
    expect(region).toMatchObject({ type: 'string', 'x-observed': { operation: 'getCustomer', status: 200 } });
    expect((region['x-observed'] as { date: string }).date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect((region['x-observed'] as { responses: number }).responses).toBeGreaterThan(0);
    expect(document.components.schemas.Customer!.required, 'added as optional').not.toContain('region');
    expect(document.components.schemas.UsageCounters!.properties.recording_minutes).toMatchObject({
      type: 'number',
      'x-observed': { operation: 'getCustomerUsage' },
    });

    // Comments and order of the original kept: the diff only adds lines.
    const diff = fs.readFileSync(`${proposed}.diff`, 'utf8');
    expect(diff).toContain('+        region:');
    expect(
      diff.split('\n').filter((line) => line.startsWith('-') && !line.startsWith('---')),
      'no original line removed or rewritten',
    ).toEqual([]);
    const specDiff = readJson(path.join(reports, 'proposed', 'spec-diff.json')) as { summary: { breaking: number; nonBreaking: number } };
    expect(specDiff.summary).toEqual({ breaking: 0, nonBreaking: 2 });

    // The suite's own lint (npm run lint:openapi's rules, redocly.yaml) on the proposal.
    const lint = await runProcess(redocly, ['lint', '--format=stylish', proposed], { env: { REDOCLY_TELEMETRY: 'off' }, failAfterMs: 120_000 });
    expect(lint.code, `redocly lint on the proposal:\n${lint.stdout}${lint.stderr}`).toBe(0);

    // Fed back to the gate against the same mode: those findings are gone.
    const again = await driftPropose('undocumented-field', { CONTRACT_OPENAPI: proposed }, false);
    expect(again.run.code, again.run.stderr).toBe(0);
    const after = readJson(path.join(again.reports, 'drift.json')) as Drift;
    expect(
      after.findings.filter((f) => drifted.includes(f.pointer)),
      'no finding left for the proposed properties',
    ).toEqual([]);
  });

  test('a retyped field (retyped-field) is proposed for the owner, not applied; spec:diff calls the decision breaking', async () => {
    const { run, reports } = await driftPropose('retyped-field');
    expect(run.code, 'the gate still fails on breaking drift').toBe(1);
    const report = readJson(path.join(reports, 'proposed', 'proposal.json')) as ProposalReport;
    expect(report.applied).toEqual([]);
    expect(report.specDiff).toBe('non-breaking');
    expect(report.decisions.map((d) => [d.kind, d.applied, d.pointer])).toEqual([
      ['retype-property', false, '/components/schemas/Customer/properties/users_count'],
      ['retype-property', false, '/components/schemas/UsageCounters/properties/total_minutes'],
    ]);
    // The proposed document is the original: nothing breaking is applied silently.
    expect(fs.readFileSync(path.join(reports, 'proposed', 'customer-management.yaml'), 'utf8')).toBe(fs.readFileSync(contractFile, 'utf8'));
    expect(report.decisionsSpecDiff).toBe('breaking');
    const decisions = readJson(path.join(reports, 'proposed', 'decisions', 'spec-diff.json')) as { changes: { severity: string; location: string }[] };
    expect(decisions.changes.filter((c) => c.severity === 'breaking').map((c) => c.location.split('/').at(-1))).toEqual(['users_count', 'total_minutes']);
    expect(fs.readFileSync(path.join(reports, 'proposed', 'proposal.md'), 'utf8')).toContain('For the owner to decide (not applied)');
  });
});

test.describe('spec:propose from a saved drift.json', () => {
  test.describe.configure({ timeout: 180_000 });

  test('an undocumented status becomes a response marked x-observed; a name with control characters is left to the owner', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'propose-saved-'));
    const drift = {
      target: 'remote',
      generatedAt: '2026-01-02T03:04:05.000Z',
      findings: [
        {
          operation: 'getCustomer',
          status: 409,
          pointer: '',
          kind: 'undocumented-status-code',
          severity: 'breaking',
          expected: [200],
          observed: 409,
          observedType: 'number',
          count: 3,
          message: '(response): undocumented status code',
        },
        {
          operation: 'getCustomer',
          status: 200,
          pointer: '/data/evil\u001b[31m',
          kind: 'undocumented-property',
          severity: 'non-breaking',
          expected: '',
          observed: 1,
          observedType: 'number',
          count: 1,
          message: 'x',
        },
        {
          operation: 'getCustomer',
          status: 200,
          pointer: '/data/last_login',
          kind: 'undocumented-property',
          severity: 'non-breaking',
          expected: '',
          observed: '2026-01-01T00:00:00Z',
          observedValues: ['2026-01-01T00:00:00Z', '2026-01-02T10:00:00.5Z'],
          observedType: 'string',
          count: 4,
          message: 'x',
        },
      ],
    };
    fs.writeFileSync(path.join(dir, 'drift.json'), JSON.stringify(drift));
    const run = await runProcess(...tsxCommand('tools/propose.ts', ['--from', path.join(dir, 'drift.json'), '--out', path.join(dir, 'proposed')]), {
      failAfterMs: 120_000,
    });
    expect(run.code, run.stderr).toBe(0);
    const report = readJson(path.join(dir, 'proposed', 'proposal.json')) as ProposalReport;
    expect(report.applied.map((p) => p.pointer)).toEqual(['/paths/~1{customer_id}/get/responses/409', '/components/schemas/Customer/properties/last_login']);
    expect(report.applied[1]?.schema).toMatchObject({
      type: 'string',
      format: 'date-time',
      'x-observed': { date: '2026-01-02', responses: 4, source: 'npm run drift against the real target' },
    });
    expect(report.decisions.map((d) => d.finding)).toEqual(['/data/evil\u001b[31m']);
    expect(fs.readFileSync(path.join(dir, 'proposed', 'customer-management.yaml'), 'utf8')).not.toContain('\u001b');
    expect(report.specDiff).toBe('non-breaking');
    const lint = await runProcess(redocly, ['lint', '--format=stylish', path.join(dir, 'proposed', 'customer-management.yaml')], {
      env: { REDOCLY_TELEMETRY: 'off' },
      failAfterMs: 120_000,
    });
    expect(lint.code, `${lint.stdout}${lint.stderr}`).toBe(0);
  });

  test('a missing or foreign drift.json is one error line, exit 2; --help says what it writes', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'propose-bad-'));
    const missing = await runProcess(...tsxCommand('tools/propose.ts', ['--from', path.join(dir, 'nope.json')]));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^error: .*nope\.json does not exist: run `npm run drift` first, or give a saved drift\.json with --from\.\n$/);
    fs.writeFileSync(path.join(dir, 'other.json'), '{"openapi": "3.1.0"}');
    const foreign = await runProcess(...tsxCommand('tools/propose.ts', ['--from', path.join(dir, 'other.json')]));
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toMatch(/^error: .*other\.json is not a drift\.json written by `npm run drift`/);
    const help = await runProcess(...tsxCommand('tools/propose.ts', ['--help']));
    expect(help.code).toBe(0);
    for (const text of ['--from', '--openapi', '--out', 'x-observed', 'customer-management.yaml.diff', 'decide']) expect(help.stdout).toContain(text);
  });

  test('CONTRACT_OPENAPI: unset is the contract; blank or a missing file is one sentence saying what to fix', () => {
    expect(contractDocumentPath({})).toBe(contractFile);
    expect(contractDocumentPath({ CONTRACT_OPENAPI: 'openapi/customer-management.yaml' })).toBe(contractFile);
    expect(userError(() => contractDocumentPath({ CONTRACT_OPENAPI: ' ' }))).toMatch(/CONTRACT_OPENAPI is set but empty/);
    expect(userError(() => contractDocumentPath({ CONTRACT_OPENAPI: 'reports/none.yaml' }))).toMatch(
      /CONTRACT_OPENAPI names .*none\.yaml, which does not exist/,
    );
    // The gate checks it with its other settings, before anything starts.
    expect(userError(() => loadGateSettings({ CONTRACT_OPENAPI: 'openapi' }))).toMatch(/CONTRACT_OPENAPI names .*openapi, which is not a file/);
  });
});
