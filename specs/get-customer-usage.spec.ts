// GET /{customer_id}/usage (getCustomerUsage): usage statistics over an optional ISO 8601 date range.
import { test, expect, advisory, documented, expectRules, inferred, usagePath } from './fixtures';
import { readAnswerTests } from './read-answers';
import { echoesCustomerId, notBefore } from './support/claims';
import { cell, ownSpec } from './support/intent';
import type { components } from '../contract';

type GetCustomerUsageResponse = components['schemas']['GetCustomerUsageResponse'];

const pageExample = "the page's example: start_date=2024-06-01&end_date=2024-06-30 answers period 2024-06-01T00:00:00.000Z to 2024-06-30T23:59:59.000Z";

test.describe('GET /{customer_id}/usage', ownSpec('getCustomerUsage'), () => {
  test('answers 200 with the documented usage body when no dates are given', { annotation: cell('getCustomerUsage', 200) }, async ({ api, target }) => {
    const response = await api.get(usagePath(target.customerId));
    await expect(response).toMatchContract('getCustomerUsage', 200);
    // Under CONTRACT_STRICTNESS=documented a status the claim does not gate on is a warning: there is then no body to read.
    if (response.status() !== 200) return;
    const { data } = (await response.json()) as GetCustomerUsageResponse;
    await expectRules(response, 'getCustomerUsage', 'the body describes the requested customer over one period', [
      echoesCustomerId(
        target.customerId,
        data.customer_id,
        documented('GET /{customer_id}/usage retrieves that customer\'s usage: "Retrieve usage statistics for your customer account"'),
      ),
      notBefore(
        'period.start is not after period.end',
        '/data/period/end',
        data.period.start,
        data.period.end,
        inferred(
          'The page states no order; a period that ends before it starts is not a date range (the page calls the parameters "Start/End of date range").',
        ),
      ),
    ]);
  });

  test('echoes a date-only range as the whole days, as in the documented example', { annotation: cell('getCustomerUsage', 200) }, async ({ api, target }) => {
    const response = await api.get(usagePath(target.customerId, { start_date: '2024-06-01', end_date: '2024-06-30' }));
    await expect(response).toMatchContract('getCustomerUsage', 200, { evidence: documented(pageExample) });
    if (response.status() !== 200) return;
    const { data } = (await response.json()) as GetCustomerUsageResponse;
    const end = Date.parse(data.period.end);
    await expectRules(response, 'getCustomerUsage', 'the period is the requested days', [
      {
        rule: 'a date-only start_date begins at T00:00:00.000Z',
        kind: 'period',
        pointer: '/data/period/start',
        expected: '2024-06-01T00:00:00.000Z',
        observed: data.period.start,
        holds: data.period.start === '2024-06-01T00:00:00.000Z',
        evidence: documented(pageExample),
      },
      {
        rule: 'a date-only end_date ends within that day (UTC)',
        kind: 'period',
        pointer: '/data/period/end',
        expected: 'within 2024-06-30 (UTC)',
        observed: data.period.end,
        holds: end >= Date.parse('2024-06-30T00:00:00.000Z') && end < Date.parse('2024-07-01T00:00:00.000Z'),
        evidence: documented(pageExample),
      },
      {
        rule: 'a date-only end_date ends at T23:59:59.000Z',
        kind: 'period',
        pointer: '/data/period/end',
        expected: '2024-06-30T23:59:59.000Z',
        observed: data.period.end,
        // Only judged when the end is on the right day: otherwise the documented rule above already says so.
        holds:
          data.period.end === '2024-06-30T23:59:59.000Z' || !(end >= Date.parse('2024-06-30T00:00:00.000Z') && end < Date.parse('2024-07-01T00:00:00.000Z')),
        evidence: inferred(
          'The page shows this exact end in one example; an end of 23:59:59.999Z or a half-open range would also cover the whole day, so the exact instant is inferred.',
        ),
      },
    ]);
  });

  test('echoes a date-time range as the same instants', { annotation: cell('getCustomerUsage', 200) }, async ({ api, target }) => {
    const start = '2024-06-01T08:30:00Z';
    const end = '2024-06-02T17:45:00Z';
    // An advisory (docs/gate-rules.md): the page shows only date-only ranges. A date-only API may refuse date-times (400), and
    // one that counts whole days may widen the range to them; both are readings of the page.
    const evidence = advisory(
      'date_time_period',
      'The page takes ISO 8601 start_date/end_date but shows only dates; whether a date-time is served, and honoured to the second or widened to whole days, it leaves open.',
    );
    const response = await api.get(usagePath(target.customerId, { start_date: start, end_date: end }));
    await expect(response).toMatchContract('getCustomerUsage', 200, { evidence: advisory('positive_data_acceptance', evidence.note ?? '') });
    // Refused (an advisory, or a warning under a lower strictness): there is no period to read.
    if (response.status() !== 200) return;
    const { data } = (await response.json()) as GetCustomerUsageResponse;
    await expectRules(response, 'getCustomerUsage', 'the period is the requested instants', [
      {
        rule: 'period.start is the start_date instant',
        kind: 'period',
        pointer: '/data/period/start',
        expected: start,
        observed: data.period.start,
        holds: Date.parse(data.period.start) === Date.parse(start),
        evidence,
      },
      {
        rule: 'period.end is the end_date instant',
        kind: 'period',
        pointer: '/data/period/end',
        expected: end,
        observed: data.period.end,
        holds: Date.parse(data.period.end) === Date.parse(end),
        evidence,
      },
    ]);
  });

  // Which 4xx refuses these is the API's choice (400 by the vendor's convention; 422 is as plausible): an advisory. Serving
  // them is a break: an impossible date or a non-date is no date under any reading of the page (even under
  // CONTRACT_STRICTNESS=documented), and a range that ends before it starts is none (inferred).
  const notADate = documented(
    'the page: start_date/end_date are "Start/End of date range (ISO 8601)"; this value is no ISO 8601 date in any form, so no answer may serve it as a range',
  );
  for (const [name, query, servedEvidence] of [
    ['an impossible start_date', { start_date: '2024-13-45' }, notADate],
    ['an end_date that is not a date', { end_date: 'last-tuesday' }, notADate],
    [
      'a start_date after the end_date',
      { start_date: '2024-06-30', end_date: '2024-06-01' },
      inferred('The page calls the parameters "Start/End of date range"; a range that ends before it starts is none, so serving it is inferred to be a break.'),
    ],
  ] as const) {
    test(`answers 400 for ${name}`, { annotation: cell('getCustomerUsage', 400) }, async ({ api, target }) => {
      const response = await api.get(usagePath(target.customerId, query));
      await expect(response).toMatchContract('getCustomerUsage', 400, {
        evidence: advisory(
          'undocumented_status',
          "The vendor's overview page lists 400 for invalid parameters; the customer-management page lists no status for them, so which 4xx refuses the input is open.",
        ),
        served: { kind: 'negative-data-accepted', evidence: servedEvidence, text: `the API served ${name}` },
      });
    });
  }

  readAnswerTests({ operationId: 'getCustomerUsage', path: usagePath, resource: 'usage' });
});
