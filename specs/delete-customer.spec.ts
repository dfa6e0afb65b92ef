// DELETE /{customer_id} (deleteCustomer): irreversible, so it only ever targets the dedicated disposable customer.
import { test, expect, customerPath } from './fixtures';
import { rejectedCredentials } from './support/auth-cases';

const skipReason =
  'DELETE is irreversible: against a real target it runs only with API_ALLOW_DELETE=1 and a dedicated disposable customer (API_DELETE_CUSTOMER_ID, API_DELETE_TOKEN)';
const readOnlyReason = 'read-only run (CONTRACT_READ_ONLY=1): DELETE is never sent';

test.describe('DELETE /{customer_id}', () => {
  // Tests in this file run in order in one worker: the last one deletes the disposable customer.
  test.describe.configure({ mode: 'default' });
  test.skip(({ target }) => target.readOnly, readOnlyReason);
  test.skip(({ target }) => !target.allowDelete || !target.deleteCustomerId, skipReason);

  for (const credential of rejectedCredentials('disposable')) {
    test(`answers 401 ${credential.name}, and deletes nothing`, async ({ anonymous, disposableApi, target }) => {
      const id = customerPath(target.deleteCustomerId ?? '');
      const response = await anonymous.delete(id, { headers: credential.headers });
      await expect(response).toMatchContract('deleteCustomer', 401);
      await expect(await disposableApi.get(id), 'the customer still exists after the rejected DELETE').toMatchContract('getCustomer', 200);
    });
  }

  test('answers 404 for an unknown customer', async ({ disposableApi, target }) => {
    const response = await disposableApi.delete(customerPath(target.missingCustomerId));
    await expect(response).toMatchContract('deleteCustomer', 404);
  });

  test('answers the documented 500 error body when the server fails (simulator-only)', async ({ disposableApi, target }) => {
    test.skip(target.kind !== 'simulator', 'x-simulator-only: a real target cannot be made to fail on demand');
    const response = await disposableApi.delete(customerPath(target.deleteCustomerId ?? ''), { headers: { prefer: 'code=500' } });
    await expect(response).toMatchContract('deleteCustomer', 500);
  });

  test('deletes the customer for good: 200, then GET answers 404, then a second DELETE answers 404', async ({ disposableApi, target }) => {
    const id = customerPath(target.deleteCustomerId ?? '');
    await test.step('DELETE answers 200 with the documented body', async () => {
      await expect(await disposableApi.delete(id)).toMatchContract('deleteCustomer', 200);
    });
    await test.step('GET of the deleted customer answers 404 (use after free)', async () => {
      await expect(await disposableApi.get(id)).toMatchContract('getCustomer', 404);
    });
    await test.step('a second DELETE answers 404', async () => {
      await expect(await disposableApi.delete(id)).toMatchContract('deleteCustomer', 404);
    });
  });
});
