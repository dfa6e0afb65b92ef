// Credentials shared by the contract gate and the exporter: where a token comes from, how it is read and checked, the
// Authorization header, and the rotating reader that picks up a replaced token file without a restart.
import fs from 'node:fs';
import { Secret } from './secret';

type Env = Readonly<Record<string, string | undefined>>;

/** Where a token comes from; a file is re-read when its mtime, size or inode changes. */
export type TokenSource = { kind: 'value'; token: Secret } | { kind: 'env'; variable: string } | { kind: 'file'; path: string };

/**
 * Why a (trimmed) token text cannot be sent in a header, or undefined when it can. Never contains the token.
 * A token is one line with no whitespace or control character inside: anything else is a pasted file, a copy with a
 * line break, or a header-injection attempt.
 */
export function tokenTextProblem(text: string): string | undefined {
  if (!text) return 'is empty';
  if (/[\n\r\u0085\u2028\u2029]/.test(text)) return 'holds several lines (a token is one line)';

  if (/[\u0000-\u001f\u007f-\u009f]/.test(text)) return 'contains a control character';
  if (/\s/.test(text)) return 'contains whitespace inside the token';
  return undefined;
}

/** A token file's text, trimmed and checked: the token, or why not (the problem never contains the token). */
export function readTokenFile(file: string): { token: Secret } | { problem: string } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8').trim();
  } catch {
    return { problem: 'cannot be read' };
  }
  const problem = tokenTextProblem(text);
  return problem ? { problem } : { token: new Secret(text) };
}

/** A token and where it came from. */
export interface LoadedToken {
  token: Secret;
  source: TokenSource;
}

/**
 * The token from `valueKey` or the file named by `fileKey` (trimmed), checked; undefined when neither is set.
 * Every mistake is pushed to `problems` naming the variable or file, never the value.
 */
export function loadToken(env: Env, valueKey: string, fileKey: string, problems: string[]): LoadedToken | undefined {
  const value = env[valueKey]?.trim() || undefined;
  const file = env[fileKey]?.trim() || undefined;
  if (value && file) {
    problems.push(`set ${valueKey} or ${fileKey}, not both`);
    return undefined;
  }
  if (value) {
    const problem = tokenTextProblem(value);
    if (problem) {
      problems.push(`${valueKey} ${problem}: set it to the token alone`);
      return undefined;
    }
    const token = new Secret(value);
    return { token, source: { kind: 'value', token } };
  }
  if (!file) return undefined;
  const read = readTokenFile(file);
  if ('problem' in read) {
    const fix = read.problem === 'cannot be read' ? 'check the path and permissions' : 'the file must hold the token alone, on one line';
    problems.push(`${fileKey} names ${file}, which ${read.problem}: ${fix}`);
    return undefined;
  }
  return { token: read.token, source: { kind: 'file', path: file } };
}

/** The Authorization header value for a token under a scheme (`none` = the raw token). */
export function authorizationValue(scheme: string, token: Secret): string {
  return scheme.toLowerCase() === 'none' ? token.reveal() : `${scheme} ${token.reveal()}`;
}

/** The token to send now, and its JWT `exp` (seconds since the epoch) when it has one. */
export interface CurrentToken {
  token: Secret;
  expiresAt: number | undefined;
}

/**
 * Reads a target's token before each probe; a file is re-read only when its mtime, size or inode changed.
 * A rotation to a bad token (empty, several lines, control characters, whitespace) keeps the last good token and reports
 * one warning per change through `onWarning`; the warning never contains a token.
 */
export class TokenReader {
  readonly #source: TokenSource;
  readonly #onWarning: ((line: string) => void) | undefined;
  #cached: CurrentToken | undefined;
  #fileStamp = '';
  /** The env value last refused, so a bad value is reported once, not on every probe. */
  #rejectedEnvValue: string | undefined;
  /** The file stamp last warned about, for the same reason. */
  #warnedStamp = '';

  constructor(source: TokenSource, onWarning?: (line: string) => void) {
    this.#source = source;
    this.#onWarning = onWarning;
  }

  /** The current token; throws an Error (never containing the token) when there is no good one and never was. */
  current(): CurrentToken {
    const source = this.#source;
    if (source.kind === 'value') return (this.#cached ??= withExpiry(source.token));
    if (source.kind === 'env') return this.#fromEnv(source.variable);
    return this.#fromFile(source.path);
  }

  #fromEnv(variable: string): CurrentToken {
    const value = process.env[variable]?.trim() ?? '';
    if (this.#cached && this.#cached.token.reveal() === value) return this.#cached;
    const problem = value ? tokenTextProblem(value) : 'is not set';
    if (!problem) {
      this.#rejectedEnvValue = undefined;
      this.#cached = withExpiry(new Secret(value));
      return this.#cached;
    }
    if (!this.#cached) throw new Error(`token variable ${variable} ${problem}`);
    if (this.#rejectedEnvValue !== value) {
      this.#rejectedEnvValue = value;
      this.#warn(`token variable ${variable} now ${problem}: still sending the last good token until it is fixed`);
    }
    return this.#cached;
  }

  #fromFile(file: string): CurrentToken {
    let stamp: string;
    try {
      const stat = fs.statSync(file);
      stamp = `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
    } catch {
      // Mid-rotation (file replaced by rename) the path can be briefly missing: keep the last token.
      if (this.#cached) return this.#cached;
      throw new Error(`token file ${file} cannot be read`);
    }
    if (stamp === this.#fileStamp && this.#cached) return this.#cached;
    const read = readTokenFile(file);
    if ('problem' in read) {
      if (!this.#cached) throw new Error(`token file ${file} ${read.problem}`);
      // A read error can be the rename race: retry on the next call. A bad text is reported once per change of the file.
      if (read.problem !== 'cannot be read') this.#fileStamp = stamp;
      if (this.#warnedStamp !== stamp) {
        this.#warnedStamp = stamp;
        this.#warn(`token file ${file} now ${read.problem}: still sending the last good token until it is fixed`);
      }
      return this.#cached;
    }
    this.#fileStamp = stamp;
    if (this.#cached?.token.reveal() !== read.token.reveal()) this.#cached = withExpiry(read.token);
    return this.#cached;
  }

  #warn(line: string): void {
    this.#onWarning?.(line);
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
      const exp = claims.exp;
      if (typeof exp === 'number' && Number.isFinite(exp)) return exp;
    }
  } catch {
    return undefined;
  }
  return undefined;
}
