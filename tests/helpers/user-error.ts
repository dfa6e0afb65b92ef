// The one way a self-test asserts "this is a user's mistake": the call throws a UserError, and its message is returned to check.
import { expect } from '@playwright/test';
import { UserError } from '../../config/errors';

/** Runs `fn`, expects it to throw a UserError, and returns the message. */
export function userError(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error, 'a user mistake is a UserError').toBeInstanceOf(UserError);
    return (error as Error).message;
  }
  throw new Error('expected a UserError');
}
