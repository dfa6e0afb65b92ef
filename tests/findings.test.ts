// contract/findings.ts: the judge and the generated phase's checks complete findings, make the no-answer finding and
// decide an exchange's outcome in one place, and the reports group findings by one cause.
import { expect, test } from '@playwright/test';
import {
  completeFinding,
  dataChecks,
  findingCause,
  findingsOutcome,
  judgeGenerated,
  judgeStatusClaim,
  loadContract,
  noAnswerFinding,
  type GeneratedExchange,
  type RunFacts,
} from '../contract';

const run: RunFacts = { target: 'simulator', readOnly: false, strictness: 'inferred' };
const contract = loadContract();

const unanswered: GeneratedExchange = {
  operation: 'getCustomer',
  request: { method: 'GET', url: '/cust_abc123', credential: { kind: 'token', whose: 'primary', scheme: 'Bearer' } },
  status: 0,
  contentType: undefined,
  bodyText: '',
  noAnswer: 'the relay refused: request budget spent',
  headers: {},
};

test('the judge and the generated checks make the same no-answer finding', () => {
  const judged = judgeStatusClaim(contract, unanswered, { claim: 'answers 200', status: 200 }, run);
  const generated = judgeGenerated({ contract, exchange: unanswered, enforceHeaders: false }, dataChecks, 'generated', run);
  expect(judged.findings).toEqual([noAnswerFinding(unanswered, run, 200)]);
  expect(generated.findings).toEqual([noAnswerFinding(unanswered, run)]);
  expect(generated.findings[0]).toMatchObject({
    kind: 'no-answer',
    gating: true,
    expected: 'an answer',
    message: '(response): no answer: the target gave no answer to GET /cust_abc123: the relay refused: request budget spent',
  });
  expect([judged.outcome, generated.outcome]).toEqual(['failed', 'failed']);
});

test('the outcome rule: a gating finding fails, only warnings warn, none passes', () => {
  const exchange = { ...unanswered, status: 200, noAnswer: undefined };
  const draft = {
    pointer: '/data/extra',
    kind: 'undocumented-property' as const,
    severity: 'non-breaking' as const,
    evidence: { level: 'documented' as const },
    expected: 'absent',
    observed: 1,
    observedType: 'number' as const,
    message: '/data/extra: undocumented property',
  };
  const warning = completeFinding(exchange, draft, run);
  const breaking = completeFinding(exchange, { ...draft, severity: 'breaking' }, run);
  const advisory = completeFinding(exchange, { ...draft, severity: 'breaking', evidence: { level: 'inferred', note: 'open', advisory: 'negotiation' } }, run);
  expect([warning.gating, breaking.gating, advisory.gating]).toEqual([false, true, false]);
  expect(findingsOutcome([])).toBe('passed');
  expect(findingsOutcome([warning, advisory])).toBe('warned');
  expect(findingsOutcome([warning, breaking])).toBe('failed');
  expect(breaking.curl).toContain('"$API_BASE_URL/cust_abc123"');
});

test('the cause: a status expected as a number (a spec) or as text (a generated check) is one cause; another pointer is another', () => {
  const exchange = { ...unanswered, status: 200, noAnswer: undefined };
  const draft = {
    pointer: '',
    kind: 'auth' as const,
    severity: 'breaking' as const,
    evidence: { level: 'documented' as const },
    expected: 401 as unknown,
    observed: 200,
    observedType: 'number' as const,
    message: '(status): answered 200, expected 401',
  };
  const fromSpec = completeFinding(exchange, draft, run, 401);
  const fromCheck = completeFinding({ ...exchange, request: { ...exchange.request, url: '/cust_abc123?x=1' } }, { ...draft, expected: '401' }, run);
  expect(findingCause(fromSpec)).toBe(findingCause(fromCheck));
  expect(findingCause(completeFinding(exchange, { ...draft, pointer: '/data' }, run, 401))).not.toBe(findingCause(fromSpec));
  expect(findingCause(completeFinding(exchange, { ...draft, severity: 'non-breaking' }, run, 401))).not.toBe(findingCause(fromSpec));
});
