// GET /{customer_id}/usage (getCustomerUsage): usage statistics over an optional ISO 8601 date range.
import { test, expect, usagePath } from './fixtures';
import { rejectedCredentials } from './support/auth-cases';
import type { components } from '../contract/openapi-types.generated';

type GetCustomerUsageResponse = components['schemas']['GetCustomerUsageResponse'];

test.describe('GET /{customer_id}/usage', () => {
  test('answers 200 with the documented usage body when no dates are given', async ({ api, target }) => {
    const response = await api.get(usagePath(target.customerId));
    await expect(response).toMatchContract('getCustomerUsage', 200);
    const { data } = (await response.json()) as GetCustomerUsageResponse;
    expect(data.customer_id, 'data.customer_id echoes the requested customer id').toBe(target.customerId);
    expect(Date.parse(data.period.start), 'period.start is not after period.end').toBeLessThanOrEqual(Date.parse(data.period.end));
  });

  test('echoes a date-only range as the whole days, as in the documented example', async ({ api, target }) => {
    const response = await api.get(usagePath(target.customerId, { start_date: '2024-06-01', end_date: '2024-06-30' }));
    await expect(response).toMatchContract('getCustomerUsage', 200);
    const { data } = (await response.json()) as GetCustomerUsageResponse;
    expect(data.period.start, 'a date-only start_date begins at T00:00:00.000Z').toBe('2024-06-01T00:00:00.000Z');
    expect(data.period.end, 'a date-only end_date ends at T23:59:59.000Z').toBe('2024-06-30T23:59:59.000Z');
  });

  test('echoes a date-time range as the same instants', async ({ api, target }) => {
    const start = '2024-06-01T08:30:00Z';
    const end = '2024-06-02T17:45:00Z';
    const response = await api.get(usagePath(target.customerId, { start_date: start, end_date: end }));
    await expect(response).toMatchContract('getCustomerUsage', 200);
    const { data } = (await response.json()) as GetCustomerUsageResponse;
    expect(Date.parse(data.period.start), 'period.start is the start_date instant').toBe(Date.parse(start));
    expect(Date.parse(data.period.end), 'period.end is the end_date instant').toBe(Date.parse(end));
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

  for (const credential of rejectedCredentials('primary')) {
    test(`answers 401 ${credential.name}`, async ({ anonymous, target }) => {
      const response = await anonymous.get(usagePath(target.customerId), { headers: credential.headers });
      await expect(response).toMatchContract('getCustomerUsage', 401);
    });
  }

  test('answers 404 for an unknown customer', async ({ api, target }) => {
    const response = await api.get(usagePath(target.missingCustomerId));
    await expect(response).toMatchContract('getCustomerUsage', 404);
  });

  test("does not let the configured token read another tenant's usage", async ({ api, target }) => {
    test.skip(!target.otherCustomerId, 'set API_OTHER_CUSTOMER_ID to an existing customer of another tenant to run the cross-tenant check');
    const response = await api.get(usagePath(target.otherCustomerId ?? ''));
    expect(response.status(), `GET of another tenant's usage must not succeed (got ${response.status()})`).not.toBe(200);
  });

  test('answers the documented 500 error body when the server fails (simulator-only)', async ({ api, target }) => {
    test.skip(target.kind !== 'simulator', 'x-simulator-only: a real target cannot be made to fail on demand');
    const response = await api.get(usagePath(target.customerId), { headers: { prefer: 'code=500' } });
    await expect(response).toMatchContract('getCustomerUsage', 500);
  });
});
