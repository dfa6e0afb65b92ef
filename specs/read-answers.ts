// The answers both GET specs claim in the same way: 401 to each rejected credential, 404 for an unknown or another tenant's customer, the documented 500.
import { test, expect } from './fixtures';
import { rejectedCredentials } from './support/auth-cases';
import { crossTenantRefusal } from './support/claims';
import { cell } from './support/intent';

/** A GET operation, the path of a customer's resource, and what the cross-tenant claim calls it. */
export interface ReadOperation {
  operationId: 'getCustomer' | 'getCustomerUsage';
  path: (customerId: string) => string;
  /** "does not let the configured token read another tenant's …" */
  resource: 'customer' | 'usage';
}

/** Declares, inside the caller's describe block, the tests every GET shares, each with the contract cell it claims. */
export function readAnswerTests({ operationId, path, resource }: ReadOperation): void {
  for (const credential of rejectedCredentials('primary')) {
    test(`answers 401 ${credential.name}`, { annotation: cell(operationId, 401) }, async ({ anonymous, target }) => {
      const response = await anonymous.get(path(target.customerId), { headers: credential.headers });
      await expect(response).toMatchContract(operationId, 401, { evidence: credential.evidence });
    });
  }

  test('answers 404 for an unknown customer', { annotation: cell(operationId, 404) }, async ({ api, target }) => {
    const response = await api.get(path(target.missingCustomerId));
    await expect(response).toMatchContract(operationId, 404);
  });

  test(`does not let the configured token read another tenant's ${resource}`, { annotation: cell(operationId, 404) }, async ({ api, target }) => {
    test.skip(!target.otherCustomerId, 'set API_OTHER_CUSTOMER_ID to an existing customer of another tenant to run the cross-tenant check');
    const response = await api.get(path(target.otherCustomerId ?? ''));
    await expect(response).toMatchContract(operationId, 404, crossTenantRefusal(resource));
  });

  test('answers the documented 500 error body when the server fails (simulator-only)', { annotation: cell(operationId, 500) }, async ({ api, target }) => {
    test.skip(target.kind !== 'simulator', 'x-simulator-only: a real target cannot be made to fail on demand');
    const response = await api.get(path(target.customerId), { headers: { prefer: 'code=500' } });
    await expect(response).toMatchContract(operationId, 500);
  });
}
