// The one error type for a user's mistake: its message says what to fix, and it is printed without a stack.

/** A mistake in configuration, credentials, target or input that the user can fix. */
export class UserError extends Error {
  override readonly name = 'UserError';
  constructor(message: string) {
    super(message);
    // A user mistake is not a bug: keep the stack out of anything that prints it.
    this.stack = `${this.name}: ${message}`;
  }
}

/** Prints a user error as one line and exits; anything else is a bug and keeps its stack. */
export function exitOnUserError(error: unknown, exitCode = 2): never {
  if (error instanceof UserError) {
    process.stderr.write(`error: ${error.message}\n`);
    process.exit(exitCode);
  }
  throw error;
}
