// A wrapper that keeps a credential out of logs, JSON, inspect output and string concatenation by accident.
import { inspect } from 'node:util';

const redacted = '[REDACTED]';

/** A credential. Only `reveal()` gives the value; every other way of printing it shows [REDACTED]. */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return redacted;
  }
  toJSON(): string {
    return redacted;
  }
  [inspect.custom](): string {
    return redacted;
  }
}

/** Replaces every occurrence of each secret in a text with [REDACTED]. */
export function redactText(text: string, secrets: ReadonlyArray<Secret | string | undefined>): string {
  let out = text;
  for (const secret of secrets) {
    const value = secret instanceof Secret ? secret.reveal() : secret;
    if (value && value.length >= 4) out = out.split(value).join(redacted);
  }
  return out;
}
