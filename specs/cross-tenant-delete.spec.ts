// The primary token must not DELETE the disposable customer of another tenant: the one DELETE the relay lets the primary credential send.
//
// It runs before delete-customer.spec.ts (Playwright runs files in name order within a worker), while the disposable
// customer still exists; a broken API can only lose that disposable customer, and the DELETE spec is then blocked naming this test.
import { test, expect, customerPath, documented, inferred, noteConsumed, requireState } from './fixtures';
import { loadGeneratedSettings } from '../config/settings';

const disposable = 'the disposable customer';

test.describe('generated › stateful', () => {
  test.skip(loadGeneratedSettings().examples === 0, 'CONTRACT_EXAMPLES=0: the generated phase is off');
  test.skip(({ target }) => target.readOnly, 'read-only run (CONTRACT_READ_ONLY=1): DELETE is never sent');
  test.skip(
    ({ target }) => !target.allowDelete || !target.deleteCustomerId,
    'needs the disposable customer: API_ALLOW_DELETE=1 with API_DELETE_CUSTOMER_ID and API_DELETE_TOKEN',
  );

  test("the primary token cannot DELETE another tenant's (disposable) customer", async ({ api, disposableApi, target }) => {
    const id = customerPath(target.deleteCustomerId ?? '');
    await requireState(await disposableApi.get(id), { operation: 'getCustomer', state: `${disposable} exists`, status: 200, resource: disposable });
    const response = await api.delete(id);
    if ((await disposableApi.get(id)).status() !== 200) {
      noteConsumed(
        disposable,
        `deleteCustomer answered ${response.status()} to DELETE /${id} with the primary token, and deleted it (in "the primary token cannot DELETE another tenant's (disposable) customer")`,
      );
    }
    await expect(response).toMatchContract('deleteCustomer', 404, {
      evidence: inferred(
        "The page does not say how another tenant's customer is refused: 404 (it does not exist for this token), or 401/403 (related-facts.md: 403 is valid credentials without access).",
      ),
      alsoAccept: [401, 403],
      served: {
        kind: 'cross-tenant',
        security: true,
        evidence: documented('the page: "Delete Customer Account" deletes your customer account; a customer token acts on its own account only'),
        text: "SECURITY: the primary token must not succeed in deleting another tenant's customer, yet it did",
      },
    });
  });
});
