// The primary token must not DELETE the disposable customer of another tenant: the one DELETE the relay lets the primary credential send.
//
// It runs before delete-customer.spec.ts (Playwright runs files in name order within a worker), while the disposable
// customer still exists; a broken API can only lose that disposable customer, and the DELETE spec is then blocked naming this test.
import { test, expect, customerPath, handedOverTarget, noteConsumed, requireState } from './fixtures';
import { crossTenantDeleteRefusal } from './support/claims';
import { cell } from './support/intent';
import { loadGeneratedSettings } from '../config/settings';

const disposable = 'the disposable customer';

test.describe('generated › stateful', () => {
  test.skip(loadGeneratedSettings().examples === 0, 'CONTRACT_EXAMPLES=0: the generated phase is off');
  const run = handedOverTarget();
  test.skip(run?.readOnly === true, 'read-only run (CONTRACT_READ_ONLY=1): DELETE is never sent');
  test.skip(
    !!run && (!run.allowDelete || !run.deleteCustomerId),
    'needs the disposable customer: API_ALLOW_DELETE=1 with API_DELETE_CUSTOMER_ID and API_DELETE_TOKEN',
  );

  test(
    "the primary token cannot DELETE another tenant's (disposable) customer",
    { annotation: cell('deleteCustomer', 404) },
    async ({ api, disposableApi, target }) => {
      const id = customerPath(target.deleteCustomerId ?? '');
      await requireState(await disposableApi.get(id), { operation: 'getCustomer', state: `${disposable} exists`, status: 200, resource: disposable });
      const response = await api.delete(id);
      if ((await disposableApi.get(id)).status() !== 200) {
        noteConsumed(
          disposable,
          `deleteCustomer answered ${response.status()} to DELETE /${id} with the primary token, and deleted it (in "the primary token cannot DELETE another tenant's (disposable) customer")`,
        );
      }
      await expect(response).toMatchContract('deleteCustomer', 404, crossTenantDeleteRefusal());
    },
  );
});
