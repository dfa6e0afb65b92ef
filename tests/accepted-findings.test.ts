// Accepted findings: a reviewed file turns known deviations into warnings until they expire; a bad file is one clear line.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { acceptanceExpired, acceptsNothing, loadAcceptedFindings, type Acceptance } from '../config/accepted-findings';
import fc from 'fast-check';
import YAML from 'yaml';
import { UserError } from '../config/errors';
import { loadGateSettings } from '../config/settings';
import type { Finding } from '../contract';
import { acceptanceFor } from '../reporters/accepted-findings';
import { repoRoot, runGate } from './helpers/run-gate';

const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'accepted-findings-'));

function fileWith(name: string, text: string): string {
  const file = path.join(folder, name);
  fs.writeFileSync(file, text);
  return file;
}

function loadError(text: string): string {
  try {
    loadAcceptedFindings(fileWith('bad.yaml', text), true, folder);
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return (error as UserError).message;
  }
  throw new Error('expected a UserError');
}

const entry = (fields: string): string => `accepted:\n  - operation: getCustomer\n${fields}`;

test.describe('the accepted-findings file', () => {
  test('a good file loads; an absent default file is no acceptance, an absent named one an error', () => {
    const loaded = loadAcceptedFindings(
      fileWith('good.yaml', entry('    pointer: /data/users_count\n    reason: "vendor ticket 42"\n    expires: 2027-03-31\n')),
      true,
      folder,
    );
    expect(loaded.entries).toEqual([
      { operation: 'getCustomer', pointer: '/data/users_count', reason: 'vendor ticket 42', expires: '2027-03-31', where: 'good.yaml entry 1' },
    ]);
    expect(loadAcceptedFindings(path.join(folder, 'absent.yaml'), false, folder).entries).toEqual([]);
    expect(() => loadAcceptedFindings(path.join(folder, 'absent.yaml'), true, folder)).toThrow(
      /CONTRACT_ACCEPTED_FINDINGS: cannot read absent\.yaml \(ENOENT\)/,
    );
    // The committed file is valid, and CONTRACT_ACCEPTED_FINDINGS is read through the gate's settings.
    expect(() => loadGateSettings({}, repoRoot)).not.toThrow();
    expect(() => loadGateSettings({ CONTRACT_ACCEPTED_FINDINGS: '' }, repoRoot)).toThrow(/^CONTRACT_ACCEPTED_FINDINGS is set but empty/);
  });

  test('the shortcut for a file that accepts nothing agrees with the YAML parser, and takes nothing else', () => {
    // The shipped file takes the shortcut (the gate's runner then never loads the parser).
    expect(acceptsNothing(fs.readFileSync(path.join(repoRoot, 'contract', 'accepted-findings.yaml'), 'utf8'))).toBe(true);
    const parsed = (text: string): unknown => {
      const document = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
      return document.errors.length > 0 ? 'error' : document.toJS();
    };
    for (const text of ['accepted: []\n', '# a\n\naccepted: []   # none\r\n  # b\n', 'accepted: []']) {
      expect(acceptsNothing(text), text).toBe(true);
      expect(parsed(text), text).toEqual({ accepted: [] });
    }
    // Everything else goes to the parser: another key, a duplicate, a directive, a marker, a BOM, no space, a list.
    for (const text of [
      '',
      '# only a comment\n',
      'accepted: []\naccepted: []\n',
      'accepted:[]\n',
      'accepted: []#x\n',
      '%YAML 1.2\n---\naccepted: []\n',
      '\ufeffaccepted: []\n',
      'accepted: []\nother: 1\n',
      'accepted:\n  - operation: getCustomer\n',
      'accepted: [] # \u0001\n',
      ' accepted: []\n',
    ])
      expect(acceptsNothing(text), JSON.stringify(text)).toBe(false);
    // Any text built from these lines: whenever the shortcut answers, the parser agrees.
    const lines = [
      'accepted: []',
      'accepted: [] # x',
      'accepted: []#x',
      'accepted:',
      '  - a',
      '# c',
      '   # c\t',
      '',
      ' ',
      '---',
      'other: []',
      'accepted: [1]',
      '\t# c',
    ];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...lines), { maxLength: 6 }), fc.constantFrom('\n', '\r\n'), (chosen, eol) => {
        const text = chosen.join(eol);
        if (acceptsNothing(text)) expect(parsed(text), JSON.stringify(text)).toEqual({ accepted: [] });
      }),
    );
  });

  test('each mistake is one line naming the file, the entry and the fix', () => {
    expect(loadError(entry('    pointer: /data/x\n    expires: 2027-01-01\n'))).toBe(
      'bad.yaml entry 1: reason is required: say why this deviation is accepted and who agreed it',
    );
    expect(loadError(entry('    pointer: /data/x\n    reason: "  "\n    expires: 2027-01-01\n'))).toMatch(/^bad\.yaml entry 1: reason is required/);
    expect(loadError(entry('    pointer: /data/x\n    reason: r\n'))).toBe('bad.yaml entry 1: expires is required: the last day it is accepted, as YYYY-MM-DD');
    for (const date of ['2027-02-30', '31/03/2027', 'next year', '2027-3-1']) {
      expect(loadError(entry(`    pointer: /data/x\n    reason: r\n    expires: ${date}\n`))).toMatch(
        /^bad\.yaml entry 1: expires .* is not a date: give the last day it is accepted, as YYYY-MM-DD/,
      );
    }
    expect(loadError(entry('    reason: r\n    expires: 2027-01-01\n'))).toMatch(/^bad\.yaml entry 1: give check \(e\.g\. ignored_auth\) or pointer/);
    expect(loadError(entry('    pointer: data/x\n    reason: r\n    expires: 2027-01-01\n'))).toMatch(/is not a JSON pointer: start it with "\/"/);
    expect(loadError(entry('    check: auth\n    reson: r\n    expires: 2027-01-01\n'))).toMatch(
      /^bad\.yaml entry 1: unknown key reson: the keys are operation, check/,
    );
    expect(loadError(entry('    check: auth\n    status: 99\n    reason: r\n    expires: 2027-01-01\n'))).toMatch(/status must be an HTTP status/);
    expect(loadError('accepted:\n  - operation: getCustomer\n    reason: a: b\n')).toMatch(/^bad\.yaml line 3 is not valid YAML \(.*\): fix the file/);
    expect(loadError('- operation: getCustomer\n')).toMatch(/^bad\.yaml must hold one key, accepted/);
    expect(loadError('accepted:\n  - check: auth\n    reason: r\n    expires: 2027-01-01\n')).toMatch(/operation is required/);
    for (const message of [loadError(entry('    pointer: /data/x\n    expires: 2027-01-01\n')), loadError('accepted: [\n')]) {
      expect(message.split('\n'), 'one line').toHaveLength(1);
    }
  });

  test('an acceptance holds through its expiry day (UTC) and covers only what it names', () => {
    const acceptance: Acceptance = { operation: 'getCustomer', check: 'ignored_auth', reason: 'r', expires: '2027-03-31', where: 'f entry 1' };
    expect(acceptanceExpired(acceptance, new Date('2027-03-31T23:59:59Z'))).toBe(false);
    expect(acceptanceExpired(acceptance, new Date('2027-04-01T00:00:00Z'))).toBe(true);
    const finding = {
      operation: 'getCustomer',
      kind: 'status-mismatch',
      severity: 'breaking',
      pointer: '',
      status: 404,
      message: '(status): answered 404, expected 401 [ignored_auth]: …',
    } as Finding;
    const before = new Date('2027-01-01T00:00:00Z');
    expect(acceptanceFor(finding, [acceptance], before)).toEqual({ acceptance, expired: false });
    expect(acceptanceFor({ ...finding, kind: 'auth', message: 'no check named' }, [acceptance], before)).toBeUndefined();
    expect(acceptanceFor({ ...finding, operation: 'getCustomerUsage' }, [acceptance], before)).toBeUndefined();
    expect(acceptanceFor(finding, [{ ...acceptance, check: 'status-mismatch', status: 404 }], before)?.expired).toBe(false);
    expect(acceptanceFor(finding, [{ ...acceptance, status: 200 }], before)).toBeUndefined();
    expect(acceptanceFor(finding, [acceptance], new Date('2027-04-01T00:00:00Z'))).toEqual({ acceptance, expired: true });
    expect(acceptanceFor({ ...finding, severity: 'non-breaking' }, [acceptance], before), 'non-breaking drift needs no acceptance').toBeUndefined();
  });
});

test.describe('the gate with accepted findings (SIMULATOR_MODE=retyped-field)', () => {
  const accepted = (usersCountExpires: string): string =>
    [
      'accepted:',
      '  - operation: getCustomer',
      '    pointer: /data/users_count',
      '    reason: "vendor ticket 42: users_count is a string until v3"',
      `    expires: ${usersCountExpires}`,
      '  - operation: getCustomerUsage',
      '    check: type-mismatch',
      '    pointer: /data/usage/total_minutes',
      '    reason: "vendor ticket 43"',
      '    expires: 2999-12-31',
      '  - operation: deleteCustomer',
      '    check: auth',
      '    reason: "nothing like it happens: stale"',
      '    expires: 2999-12-31',
      '',
    ].join('\n');

  for (const scenario of [
    { name: 'an accepted finding passes as a warning', expires: '2999-12-31', exitCode: 0 },
    { name: 'once expired it fails again, saying when it expired', expires: '2020-01-31', exitCode: 1 },
  ]) {
    test(scenario.name, async () => {
      test.setTimeout(120_000);
      const file = fileWith(`gate-${scenario.exitCode}.yaml`, accepted(scenario.expires));
      const reportsDir = path.join(repoRoot, 'reports', 'self-test', `accepted-${scenario.exitCode}`);
      const run = await runGate({ env: { SIMULATOR_MODE: 'retyped-field', CONTRACT_ACCEPTED_FINDINGS: file }, reportsDir });
      expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(scenario.exitCode);
      const summary = fs.readFileSync(path.join(reportsDir, 'summary.md'), 'utf8');
      const drift = JSON.parse(fs.readFileSync(path.join(reportsDir, 'drift.json'), 'utf8')) as {
        summary: { accepted: number; acceptanceExpired: number };
        acceptedFindings: { stale: Acceptance[] };
        findings: Array<{ pointer: string; gating: boolean; acceptance?: { expired: boolean; reason: string } }>;
      };
      const usersCount = drift.findings.find((f) => f.pointer === '/data/users_count');
      expect(
        drift.acceptedFindings.stale.map((s) => s.operation),
        'the entry that matched nothing is stale',
      ).toEqual(['deleteCustomer']);
      expect(run.stdout).toMatch(/stale acceptance .*entry 3 \(deleteCustomer auth\) matched no finding/);
      expect(summary).toContain('### Stale acceptances');
      if (scenario.exitCode === 0) {
        expect(run.stdout).toMatch(/Contract gate: PASSED with warnings — .*; of the breaking: 2 accepted/);
        expect(usersCount).toMatchObject({ gating: false, acceptance: { expired: false, reason: 'vendor ticket 42: users_count is a string until v3' } });
        expect(summary).toMatch(/### Accepted findings[^\n]*\n\n\| # \| finding[\s\S]*users_count[\s\S]*accepted until 2999-12-31: vendor ticket 42/);
        expect(summary, 'nothing new').not.toContain('### New findings');
        expect(fs.readFileSync(path.join(reportsDir, 'junit.xml'), 'utf8')).not.toContain('<failure');
      } else {
        expect(run.stdout).toMatch(/Contract gate: FAILED — .*; of the breaking: 1 accepted .*, 1 whose acceptance expired/);
        expect(run.stdout).toMatch(/✗ getCustomer 200 .*users_count.*its acceptance EXPIRED on 2020-01-31, so it fails again/);
        expect(usersCount).toMatchObject({ gating: true, acceptance: { expired: true } });
        expect(summary).toMatch(/### New findings[\s\S]*\(acceptance expired\) getCustomer 200[\s\S]*acceptance expired 2020-01-31/);
        expect(drift.summary).toMatchObject({ accepted: 1, acceptanceExpired: 1 });
      }
    });
  }
});
