// GET /{customer_id} (getCustomer): the customer's details, as the contract documents them.
import { test, expect, customerPath, documented, expectRules, inferred } from './fixtures';
import { readAnswerTests } from './read-answers';
import { echoesCustomerId, notBefore } from './support/claims';
import { cell, ownSpec } from './support/intent';
import type { components } from '../contract';

type GetCustomerResponse = components['schemas']['GetCustomerResponse'];

test.describe('GET /{customer_id}', ownSpec('getCustomer'), () => {
  test('answers 200 with the documented customer body', { annotation: cell('getCustomer', 200) }, async ({ api, target }) => {
    const response = await api.get(customerPath(target.customerId));
    await expect(response).toMatchContract('getCustomer', 200);
    if (response.status() !== 200) return;
    const { data } = (await response.json()) as GetCustomerResponse;
    await expectRules(response, 'getCustomer', 'the body describes the requested customer', [
      echoesCustomerId(
        target.customerId,
        data.customer_id,
        documented('GET /{customer_id} retrieves that customer account: "Retrieve your customer account information"'),
      ),
      notBefore(
        'created_at is not after updated_at',
        '/data/updated_at',
        data.created_at,
        data.updated_at,
        inferred(
          'The page states no order; the names, and its example (created 2024-01-15, updated 2024-06-15), imply an account is updated after it is created.',
        ),
      ),
    ]);
  });

  readAnswerTests({ operationId: 'getCustomer', path: customerPath, resource: 'customer' });
});
