// GET /{customer_id} (getCustomer): the customer's details, as the contract documents them.
import { test, expect, customerPath } from './fixtures';
import { rejectedCredentials } from './support/auth-cases';
import type { components } from '../contract/openapi-types.generated';

type GetCustomerResponse = components['schemas']['GetCustomerResponse'];

test.describe('GET /{customer_id}', () => {
  test('answers 200 with the documented customer body', async ({ api, target }) => {
    const response = await api.get(customerPath(target.customerId));
    await expect(response).toMatchContract('getCustomer', 200);
    const { data } = (await response.json()) as GetCustomerResponse;
    expect(data.customer_id, 'data.customer_id echoes the requested customer id').toBe(target.customerId);
    expect(Date.parse(data.created_at), 'created_at is not after updated_at').toBeLessThanOrEqual(Date.parse(data.updated_at));
  });

  for (const credential of rejectedCredentials('primary')) {
    test(`answers 401 ${credential.name}`, async ({ anonymous, target }) => {
      const response = await anonymous.get(customerPath(target.customerId), { headers: credential.headers });
      await expect(response).toMatchContract('getCustomer', 401);
    });
  }

  test('answers 404 for an unknown customer', async ({ api, target }) => {
    const response = await api.get(customerPath(target.missingCustomerId));
    await expect(response).toMatchContract('getCustomer', 404);
  });

  test("does not let the configured token read another tenant's customer", async ({ api, target }) => {
    test.skip(!target.otherCustomerId, 'set API_OTHER_CUSTOMER_ID to an existing customer of another tenant to run the cross-tenant check');
    const response = await api.get(customerPath(target.otherCustomerId ?? ''));
    expect(response.status(), `GET of another tenant's customer must not succeed (got ${response.status()})`).not.toBe(200);
  });

  test('answers the documented 500 error body when the server fails (simulator-only)', async ({ api, target }) => {
    test.skip(target.kind !== 'simulator', 'x-simulator-only: a real target cannot be made to fail on demand');
    const response = await api.get(customerPath(target.customerId), { headers: { prefer: 'code=500' } });
    await expect(response).toMatchContract('getCustomer', 500);
  });
});
