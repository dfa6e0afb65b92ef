// A target's current token: fixed, from an environment variable, or from a file re-read when it changes (rotation without restart).
import fs from 'node:fs';
import { Secret } from '../../config/secret';
import type { TokenSource } from './config';

/** The token to send now, and its JWT `exp` (seconds since the epoch) when it has one. */
export interface CurrentToken {
  token: Secret;
  expiresAt: number | undefined;
}

/** Reads a target's token before each probe; a file is re-read only when its mtime or size changed. */
export class TokenReader {
  readonly #source: TokenSource;
  #cached: CurrentToken | undefined;
  #fileStamp = '';

  constructor(source: TokenSource) {
    this.#source = source;
  }

  /** The current token; throws an Error (never containing the token) when none can be read. */
  current(): CurrentToken {
    const source = this.#source;
    if (source.kind === 'value') return (this.#cached ??= withExpiry(source.token));
    if (source.kind === 'env') {
      const value = process.env[source.variable]?.trim();
      if (!value) throw new Error(`token variable ${source.variable} is not set`);
      if (this.#cached?.token.reveal() !== value) this.#cached = withExpiry(new Secret(value));
      return this.#cached;
    }
    let stamp: string;
    try {
      const stat = fs.statSync(source.path);
      stamp = `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
    } catch {
      // Mid-rotation (file replaced by rename) the path can be briefly missing: keep the last token.
      if (this.#cached) return this.#cached;
      throw new Error(`token file ${source.path} cannot be read`);
    }
    if (stamp !== this.#fileStamp || !this.#cached) {
      let text: string;
      try {
        text = fs.readFileSync(source.path, 'utf8').trim();
      } catch {
        if (this.#cached) return this.#cached;
        throw new Error(`token file ${source.path} cannot be read`);
      }
      if (!text) {
        if (this.#cached) return this.#cached;
        throw new Error(`token file ${source.path} is empty`);
      }
      this.#fileStamp = stamp;
      this.#cached = withExpiry(new Secret(text));
    }
    return this.#cached;
  }
}

function withExpiry(token: Secret): CurrentToken {
  return { token, expiresAt: jwtExpiry(token.reveal()) };
}

/** The `exp` claim of a JWT (seconds since the epoch), or undefined when the token is not a JWT with one. */
export function jwtExpiry(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as unknown;
    if (typeof claims === 'object' && claims !== null && 'exp' in claims) {
      const exp = (claims as { exp: unknown }).exp;
      if (typeof exp === 'number' && Number.isFinite(exp)) return exp;
    }
  } catch {
    return undefined;
  }
  return undefined;
}
