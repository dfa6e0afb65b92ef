// DELETE /{customer_id} (deleteCustomer): irreversible, so it only ever targets the dedicated disposable customer.
import { test, expect, advisory, customerPath, documented, expectRules, handedOverTarget, noteConsumed, requireState } from './fixtures';
import { rejectedCredentials } from './support/auth-cases';
import { cell, ownSpec } from './support/intent';

const skipReason =
  'DELETE is irreversible: against a real target it runs only with API_ALLOW_DELETE=1 and a dedicated disposable customer (API_DELETE_CUSTOMER_ID, API_DELETE_TOKEN)';
const readOnlyReason = 'read-only run (CONTRACT_READ_ONLY=1): DELETE is never sent';

/** The one resource this file uses up: every test that sends it a DELETE checks afterwards whether it is gone, and says how. */
const disposable = 'the disposable customer';
const exists = { operation: 'getCustomer', state: `${disposable} exists`, status: 200, resource: disposable } as const;
const irreversible = documented('the page: "This action is irreversible. All apps, users, and settings under this customer will be permanently deleted."');

test.describe('DELETE /{customer_id}', ownSpec('deleteCustomer'), () => {
  // Tests in this file run in order in one worker, ordered so that nothing can use the disposable customer up unnoticed:
  // first the DELETE that cannot reach it, then those that must not delete it (each checks it is still there, and notes
  // who deleted it if not), and the deletion itself last.
  test.describe.configure({ mode: 'default' });
  const run = handedOverTarget();
  test.skip(run?.readOnly === true, readOnlyReason);
  test.skip(!!run && (!run.allowDelete || !run.deleteCustomerId), skipReason);

  test('answers 404 for an unknown customer', { annotation: cell('deleteCustomer', 404) }, async ({ disposableApi, target }) => {
    const response = await disposableApi.delete(customerPath(target.missingCustomerId));
    await expect(response).toMatchContract('deleteCustomer', 404);
  });

  for (const credential of rejectedCredentials('disposable')) {
    test(`answers 401 ${credential.name}, and deletes nothing`, { annotation: cell('deleteCustomer', 401) }, async ({ anonymous, disposableApi, target }) => {
      const id = customerPath(target.deleteCustomerId ?? '');
      await requireState(await disposableApi.get(id), exists);
      const response = await anonymous.delete(id, { headers: credential.headers });
      const after = await disposableApi.get(id);
      if (after.status() !== 200) {
        noteConsumed(
          disposable,
          `deleteCustomer answered ${response.status()} to DELETE /${id} ${credential.name}, and deleted it (in "answers 401 ${credential.name}, and deletes nothing")`,
        );
      }
      await expect(response).toMatchContract('deleteCustomer', 401, { evidence: credential.evidence });
      await expectRules(after, 'getCustomer', `a refused DELETE deletes nothing`, [
        {
          rule: `${disposable} still exists after the refused DELETE`,
          kind: 'auth',
          pointer: '',
          expected: 200,
          observed: after.status(),
          holds: after.status() === 200,
          evidence: credential.evidence,
          security: true,
        },
      ]);
    });
  }

  test(
    'answers the documented 500 error body when the server fails (simulator-only)',
    { annotation: cell('deleteCustomer', 500) },
    async ({ disposableApi, target }) => {
      test.skip(target.kind !== 'simulator', 'x-simulator-only: a real target cannot be made to fail on demand');
      const id = customerPath(target.deleteCustomerId ?? '');
      await requireState(await disposableApi.get(id), exists);
      const response = await disposableApi.delete(id, { headers: { prefer: 'code=500' } });
      if ((await disposableApi.get(id)).status() !== 200) {
        noteConsumed(
          disposable,
          `deleteCustomer answered ${response.status()} to DELETE /${id} with Prefer: code=500, and deleted it (in the simulator-only 500 test)`,
        );
      }
      await expect(response).toMatchContract('deleteCustomer', 500);
    },
  );

  test(
    'deletes the customer for good: 200, then GET answers 404, then a second DELETE answers 404',
    { annotation: [...cell('deleteCustomer', 200, 404), ...cell('getCustomer', 404)] },
    async ({ disposableApi, target }) => {
      const id = customerPath(target.deleteCustomerId ?? '');
      await requireState(await disposableApi.get(id), exists);
      const deletion = await disposableApi.delete(id);
      await test.step('DELETE answers 200 with the documented body', async () => {
        await expect(deletion).toMatchContract('deleteCustomer', 200);
      });
      await test.step('GET of the deleted customer answers 404 (use after free)', async () => {
        const response = await disposableApi.get(id, { after: [deletion] });
        await expect(response).toMatchContract('getCustomer', 404, {
          evidence: advisory(
            'after_delete',
            'The page says the deletion is permanent but not what a deleted customer answers: 404 ("Customer doesn\'t exist"), 410, or 401 (its token died with it) are all readings; serving it is the break.',
          ),
          served: {
            kind: 'use-after-free',
            evidence: irreversible,
            text: `the customer still exists after its DELETE answered ${deletion.status()} (use after free)`,
          },
        });
      });
      await test.step('a second DELETE answers 404', async () => {
        const response = await disposableApi.delete(id, { after: [deletion] });
        await expect(response).toMatchContract('deleteCustomer', 404, {
          evidence: advisory(
            'after_delete',
            'The page does not say what a second DELETE answers: 404 ("Customer doesn\'t exist"), 410 or 401 are all readings.',
          ),
          served: { kind: 'use-after-free', evidence: irreversible, text: 'a second DELETE of the deleted customer was served (use after free)' },
        });
      });
    },
  );
});
