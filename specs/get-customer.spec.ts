// GET /{customer_id} (getCustomer): the customer's details, as the contract documents them.
import { test, expect, customerPath, documented, expectRules, inferred } from './fixtures';
import { rejectedCredentials } from './support/auth-cases';
import { crossTenantRefusal } from './support/claims';
import type { components } from '../contract/openapi-types.generated';

type GetCustomerResponse = components['schemas']['GetCustomerResponse'];

test.describe('GET /{customer_id}', () => {
  test('answers 200 with the documented customer body', async ({ api, target }) => {
    const response = await api.get(customerPath(target.customerId));
    await expect(response).toMatchContract('getCustomer', 200);
    const { data } = (await response.json()) as GetCustomerResponse;
    await expectRules(response, 'getCustomer', 'the body describes the requested customer', [
      {
        rule: 'data.customer_id echoes the requested customer id',
        kind: 'echo',
        pointer: '/data/customer_id',
        expected: target.customerId,
        observed: data.customer_id,
        holds: data.customer_id === target.customerId,
        evidence: documented('GET /{customer_id} retrieves that customer account: "Retrieve your customer account information"'),
      },
      {
        rule: 'created_at is not after updated_at',
        kind: 'ordering',
        pointer: '/data/updated_at',
        expected: `not before ${data.created_at}`,
        observed: data.updated_at,
        holds: Date.parse(data.created_at) <= Date.parse(data.updated_at),
        evidence: inferred(
          'The page states no order; the names, and its example (created 2024-01-15, updated 2024-06-15), imply an account is updated after it is created.',
        ),
      },
    ]);
  });

  for (const credential of rejectedCredentials('primary')) {
    test(`answers 401 ${credential.name}`, async ({ anonymous, target }) => {
      const response = await anonymous.get(customerPath(target.customerId), { headers: credential.headers });
      await expect(response).toMatchContract('getCustomer', 401, { evidence: credential.evidence });
    });
  }

  test('answers 404 for an unknown customer', async ({ api, target }) => {
    const response = await api.get(customerPath(target.missingCustomerId));
    await expect(response).toMatchContract('getCustomer', 404);
  });

  test("does not let the configured token read another tenant's customer", async ({ api, target }) => {
    test.skip(!target.otherCustomerId, 'set API_OTHER_CUSTOMER_ID to an existing customer of another tenant to run the cross-tenant check');
    const response = await api.get(customerPath(target.otherCustomerId ?? ''));
    await expect(response).toMatchContract('getCustomer', 404, crossTenantRefusal('customer'));
  });

  test('answers the documented 500 error body when the server fails (simulator-only)', async ({ api, target }) => {
    test.skip(target.kind !== 'simulator', 'x-simulator-only: a real target cannot be made to fail on demand');
    const response = await api.get(customerPath(target.customerId), { headers: { prefer: 'code=500' } });
    await expect(response).toMatchContract('getCustomer', 500);
  });
});
