// The reports' words, fed synthetic runs: one cause is one finding, counts sit on the right number, no empty code spans,
// advisories are not called additions, the judged target is named, and what did not run says what turns it on.
import { expect, test } from '@playwright/test';
import type { ContractRecord, Finding, RunFacts } from '../contract';
import { driftMarkdown, headline, runVerdict, summaryMarkdown, terminalSummary, type TestVerdict } from '../reporters/verdict-reports';

const simulator: RunFacts = { target: 'simulator', targetName: 'auth-ignored', readOnly: false, strictness: 'inferred' };

function finding(fields: Partial<Finding>): Finding {
  return {
    operation: 'getCustomer',
    method: 'GET',
    url: '/cust_abc123',
    status: 200,
    expectedStatus: 401,
    pointer: '',
    kind: 'auth',
    severity: 'breaking',
    evidence: { level: 'documented' },
    security: true,
    gating: true,
    expected: 401,
    observed: 200,
    observedType: 'number',
    message: '(status): answered 200, expected 401: the request carried no valid credential, yet the API served it (security)',
    curl: 'curl -sS -i -X GET "$API_BASE_URL/cust_abc123" -H "Accept: application/json"',
    ...fields,
  };
}

function verdictOf(title: string, order: number, findings: Finding[], facts: RunFacts = simulator, outcome: TestVerdict['outcome'] = 'failed'): TestVerdict {
  const record: ContractRecord = {
    format: 'contract-record/1',
    role: 'claim',
    claim: title,
    operation: findings[0]?.operation ?? 'getCustomer',
    request: { method: 'GET', url: findings[0]?.url ?? '/cust_abc123', credential: { kind: 'none' } },
    expectedStatus: findings[0]?.expectedStatus,
    status: findings[0]?.status ?? 200,
    outcome: findings.some((f) => f.gating) ? 'failed' : findings.length > 0 ? 'warned' : 'passed',
    findings,
    run: facts,
  };
  return {
    title: `GET /{customer_id} › ${title}`,
    titlePath: ['', 'contract', 'get-customer.spec.ts', 'GET /{customer_id}', title],
    order,
    intent: { cells: [{ operation: 'getCustomer', status: record.expectedStatus ?? 200 }], ownSpecOf: ['getCustomer'], drawn: [] },
    outcome,
    records: [record],
  };
}

test('three "answered 200, expected 401" of one operation are one finding, seen 3× in 3 tests, with the strongest ground', () => {
  const verdicts = [
    verdictOf('answers 401 without an Authorization header', 0, [finding({})]),
    verdictOf('answers 401 for an invalid token', 1, [finding({})]),
    verdictOf('answers 401 for a valid token under a non-Bearer scheme', 2, [
      finding({ evidence: { level: 'inferred', note: 'other schemes' }, url: '/cust_abc123?x=1', expected: '401', expectedStatus: undefined }),
    ]),
  ];
  const verdict = runVerdict(verdicts, simulator);
  expect(verdict.findings).toHaveLength(1);
  expect(verdict.findings[0]).toMatchObject({
    count: 3,
    evidence: { level: 'documented' },
    otherEvidence: [{ level: 'inferred' }],
    requests: ['GET /cust_abc123', 'GET /cust_abc123?x=1'],
  });
  expect(verdict.findings[0]?.tests).toHaveLength(3);
  const terminal = terminalSummary(verdict, verdicts, { drift: 'reports/drift.md', summary: 'reports/summary.md' }, 'contract coverage 13/13');
  expect(terminal.match(/✗ /g), 'one line per cause').toHaveLength(1);
  expect(terminal).toContain('(seen 3× in 3 tests, 2 different requests)');
  // A different answer is a different cause.
  const other = runVerdict([...verdicts, verdictOf('answers 404', 3, [finding({ status: 404, observed: 404 })])], simulator);
  expect(other.findings).toHaveLength(2);
});

test('the warning count sits on the breaking count, and the headline names the judged target loudly', () => {
  const documented: RunFacts = { ...simulator, strictness: 'documented' };
  const verdicts = [
    verdictOf(
      'a',
      0,
      [
        finding({ gating: false, evidence: { level: 'inferred', note: 'n' } }),
        finding({ gating: false, evidence: { level: 'inferred', note: 'n' }, pointer: '/x', kind: 'type-mismatch' }),
        finding({ severity: 'non-breaking', gating: false, security: false, kind: 'undocumented-property', pointer: '/data/extra' }),
        finding({
          severity: 'non-breaking',
          gating: false,
          security: false,
          kind: 'header',
          status: 401,
          pointer: '',
          message: '(header) WWW-Authenticate: advisory: missing on 401',
        }),
      ],
      documented,
      'passed',
    ),
  ];
  const verdict = runVerdict(verdicts, documented);
  const line = headline(verdict);
  expect(line).toContain('PASSED with warnings — 2 breaking (inferred), 2 non-breaking; of the breaking: 2 warnings under CONTRACT_STRICTNESS=documented');
  expect(line, 'no parenthesis on the non-breaking count').not.toMatch(/non-breaking \(/);
  expect(line).toContain('judged: the embedded SIMULATOR (mode auth-ignored), not a real API');
  const remote = runVerdict([verdictOf('b', 0, [], { ...simulator, target: 'remote', targetName: 'https://api.example.com' }, 'passed')], simulator);
  expect(headline(remote)).toContain('judged: REAL TARGET https://api.example.com');

  const summary = summaryMarkdown(verdict, verdicts, 'contract coverage 13/13', '2026-01-01T00:00:00.000Z');
  const prose = summary
    .split('\n')
    .filter((l) => !l.startsWith('```'))
    .join('\n');
  expect(prose, 'no empty code span').not.toMatch(/(^|[^`])``([^`]|$)/m);
  expect(summary).toContain('getCustomer 401 (response) header');
  const drift = driftMarkdown(verdict, '2026-01-01T00:00:00.000Z');
  const additions = drift.indexOf('### Non-breaking additions');
  const advisories = drift.indexOf('### Advisories');
  expect(additions).toBeGreaterThan(-1);
  expect(advisories).toBeGreaterThan(additions);
  expect(drift.slice(additions, advisories)).toContain('/data/extra');
  expect(drift.slice(additions, advisories), 'a missing header is no addition').not.toContain('WWW-Authenticate');
  expect(drift.slice(advisories)).toContain('header');
});

test('what did not run is listed by part, with the reason that names the variable turning it on', () => {
  const skipped = (title: string, order: number, reason: string): TestVerdict => ({
    title: `DELETE /{customer_id} › ${title}`,
    titlePath: ['', 'contract', 'delete-customer.spec.ts', 'DELETE /{customer_id}', title],
    order,
    intent: { cells: [], ownSpecOf: ['deleteCustomer'], drawn: [] },
    outcome: 'skipped',
    reason,
    records: [],
  });
  const reason = 'DELETE is irreversible: against a real target it runs only with API_ALLOW_DELETE=1 and a dedicated disposable customer';
  const verdicts = [
    skipped('answers 404 for an unknown customer', 0, reason),
    skipped('deletes the customer for good', 1, reason),
    {
      ...skipped("does not let the configured token read another tenant's customer", 2, 'set API_OTHER_CUSTOMER_ID to run the cross-tenant check'),
      titlePath: ['', 'contract', 'get-customer.spec.ts', 'GET /{customer_id}', 'x'],
    },
  ];
  const verdict = runVerdict(verdicts, { ...simulator, target: 'remote' });
  const terminal = terminalSummary(verdict, verdicts, { drift: 'd', summary: 's' }, 'coverage');
  expect(terminal).toContain(`- did not run: DELETE /{customer_id} (2 tests): ${reason}`);
  expect(terminal).toContain('- did not run: GET /{customer_id} (1 test): set API_OTHER_CUSTOMER_ID to run the cross-tenant check');
  const summary = summaryMarkdown(verdict, verdicts, 'coverage', 'now');
  expect(summary).toContain('### What did not run, and why');
  expect(summary).toContain('API\\_ALLOW\\_DELETE=1');
});
