// GET /{customer_id}/usage (getCustomerUsage): usage statistics over an optional ISO 8601 date range.
import { test, expect, documented, expectRules, inferred, usagePath } from './fixtures';
import { readAnswerTests } from './read-answers';
import { echoesCustomerId, notBefore } from './support/claims';
import type { components } from '../contract/openapi-types.generated';

type GetCustomerUsageResponse = components['schemas']['GetCustomerUsageResponse'];

const pageExample = "the page's example: start_date=2024-06-01&end_date=2024-06-30 answers period 2024-06-01T00:00:00.000Z to 2024-06-30T23:59:59.000Z";

test.describe('GET /{customer_id}/usage', () => {
  test('answers 200 with the documented usage body when no dates are given', async ({ api, target }) => {
    const response = await api.get(usagePath(target.customerId));
    await expect(response).toMatchContract('getCustomerUsage', 200);
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

  test('echoes a date-only range as the whole days, as in the documented example', async ({ api, target }) => {
    const response = await api.get(usagePath(target.customerId, { start_date: '2024-06-01', end_date: '2024-06-30' }));
    await expect(response).toMatchContract('getCustomerUsage', 200, { evidence: documented(pageExample) });
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

  test('echoes a date-time range as the same instants', async ({ api, target }) => {
    const start = '2024-06-01T08:30:00Z';
    const end = '2024-06-02T17:45:00Z';
    const evidence = inferred('The page takes ISO 8601 start_date/end_date but shows only dates; that a date-time is honoured to the second is inferred.');
    const response = await api.get(usagePath(target.customerId, { start_date: start, end_date: end }));
    await expect(response).toMatchContract('getCustomerUsage', 200, { evidence });
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

  for (const [name, query] of [
    ['an impossible start_date', { start_date: '2024-13-45' }],
    ['an end_date that is not a date', { end_date: 'last-tuesday' }],
    ['a start_date after the end_date', { start_date: '2024-06-30', end_date: '2024-06-01' }],
  ] as const) {
    test(`answers 400 for ${name}`, async ({ api, target }) => {
      const response = await api.get(usagePath(target.customerId, query));
      await expect(response).toMatchContract('getCustomerUsage', 400);
    });
  }

  readAnswerTests({ operationId: 'getCustomerUsage', path: usagePath, resource: 'usage' });
});
