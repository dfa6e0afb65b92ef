// A wrapper that keeps a credential out of logs, JSON, inspect output and string concatenation by accident; redaction of every form it can take.
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

type Secrets = ReadonlyArray<Secret | string | undefined>;

/** Secrets shorter than this are not redacted: they would match ordinary text. */
const minimumSecretLength = 4;
/** A base64 fragment (the token inside a longer base64 text such as `user:token`) shorter than this is not redacted. */
const minimumFragmentLength = 8;

/**
 * Replaces every occurrence of each secret in a text with [REDACTED], in every form it is likely to take on the way out:
 * plain; percent-encoded (any characters, either hex case, `+` for space), as `encodeURIComponent`, a query string or a
 * form would write it; JSON-escaped (`\/`, `\"`, `\\`, `\uXXXX` in either case, e.g. for non-ASCII); base64 and base64url
 * of the token, with or without padding, and of the token inside a longer base64 text such as `user:token` (Basic auth);
 * and hex of its UTF-8 bytes.
 */
export function redactText(text: string, secrets: Secrets): string {
  return replaceForms(text, secretValues(secrets), 'text', true);
}

/** `redactText` without the plain-search shortcut, always running the full pattern: the reference its tests compare with. */
export function redactTextExhaustively(text: string, secrets: Secrets): string {
  return replaceForms(text, secretValues(secrets), 'text', false);
}

/**
 * `redactText` for raw bytes (bodies that may not be UTF-8): every form of each secret's UTF-8 bytes becomes [REDACTED];
 * every other byte is kept as it was. Returns `buf` itself when nothing matched.
 */
export function redactBytes(buf: Buffer, secrets: Secrets): Buffer {
  const values = secretValues(secrets);
  if (values.length === 0 || buf.length === 0) return buf;
  // latin1 maps each byte to one character and back, so the bytes around a match survive unchanged.
  const original = buf.toString('latin1');
  const out = replaceForms(original, values, 'bytes', true);
  return out === original ? buf : Buffer.from(out, 'latin1');
}

/** Every form of each value in `text` replaced by [REDACTED]; the large pattern only runs where a form may be. */
function replaceForms(text: string, values: readonly string[], mode: Mode, shortcut: boolean): string {
  let out = text;
  for (const value of values) {
    const forms = patternsFor(value);
    if (shortcut && !mayHold(out, forms, mode)) continue;
    const pattern = forms.regExp(mode);
    pattern.lastIndex = 0;
    if (pattern.test(out)) {
      pattern.lastIndex = 0;
      out = out.replace(pattern, redacted);
    }
  }
  return out;
}

/**
 * Builds and compiles the redaction patterns of these secrets now (~25–150 ms each the first time), so that the first
 * answer that needs them does not wait: the relay calls it while Playwright starts its workers, for `bytes` (answer
 * bodies: a gate run has a few holding `%` or `\`, which only the pattern can rule out). The `text` patterns (headers,
 * status texts, messages) are compiled when a text first needs one, which a gate run against a faithful target never
 * has: compiling them anyway cost half of this function's CPU for nothing.
 */
export function prepareRedaction(secrets: Secrets, modes: ReadonlyArray<Mode> = ['text', 'bytes']): void {
  for (const value of secretValues(secrets)) {
    const forms = patternsFor(value);
    for (const mode of modes) {
      const pattern = forms.regExp(mode);
      pattern.lastIndex = 0;
      pattern.test('%');
    }
  }
}

function secretValues(secrets: Secrets): string[] {
  const values: string[] = [];
  for (const secret of secrets) {
    const value = secret instanceof Secret ? secret.reveal() : secret;
    if (value && value.length >= minimumSecretLength && !values.includes(value)) values.push(value);
  }
  return values;
}

/**
 * Every form of one secret. The regular expressions (one for JS strings, where a non-ASCII character appears as itself,
 * one for bytes read as latin1, where it appears as its UTF-8 bytes) are large: V8 takes ~0.15 s to compile each on
 * first use, so they are built only when `mayHold` cannot rule a match out.
 */
interface Patterns {
  /** The forms in which every character is itself: the value and its base64 forms, as JS text and as latin1 bytes. */
  literals: Record<Mode, string[]>;
  /** The hex form, lower case (it matches in either case). */
  hexLower: string;
  /** Whether the value has a space (which a query string may write as `+`). */
  hasSpace: boolean;
  regExp(mode: Mode): RegExp;
}

/**
 * False only when no form can be in `text`: without `%` or `\` (nor `+` for a value with a space) every character of a
 * match would be itself, so a match would be one of the literal forms or the hex form, each found with a plain search.
 */
function mayHold(text: string, forms: Patterns, mode: Mode): boolean {
  if (text.includes('%') || text.includes('\\') || (forms.hasSpace && text.includes('+'))) return true;
  if (forms.literals[mode].some((literal) => text.includes(literal))) return true;
  return text.toLowerCase().includes(forms.hexLower);
}

// Building a pattern costs more than using it: keep the recent ones (the same few tokens are redacted over and over).
const cache = new Map<string, Patterns>();
const cacheSize = 32;

function patternsFor(value: string): Patterns {
  const hit = cache.get(value);
  if (hit) {
    cache.delete(value);
    cache.set(value, hit);
    return hit;
  }
  const built: Partial<Record<Mode, RegExp>> = {};
  const encoded = encodedForms(value);
  const patterns: Patterns = {
    literals: { text: [value, ...encoded], bytes: [Buffer.from(value, 'utf8').toString('latin1'), ...encoded] },
    hexLower: Buffer.from(value, 'utf8').toString('hex'),
    hasSpace: value.includes(' '),
    regExp: (mode) => (built[mode] ??= new RegExp(formsPattern(value, mode), 'g')),
  };
  cache.set(value, patterns);
  if (cache.size > cacheSize) cache.delete(cache.keys().next().value!);
  return patterns;
}

type Mode = 'text' | 'bytes';

/** One alternation of every form of `value`, longest first so the longest form is the one replaced. */
function formsPattern(value: string, mode: Mode): string {
  const bytes = Buffer.from(value, 'utf8');
  const forms = [{ length: value.length, source: flexible(value, mode) }];
  for (const form of encodedForms(value)) forms.push({ length: form.length, source: flexible(form, mode) });
  forms.push({ length: bytes.length * 2, source: [...bytes].map(hexByte).join('') });
  forms.sort((a, b) => b.length - a.length);
  return forms.map((f) => `(?:${f.source})`).join('|');
}

/** The base64 and base64url forms of `value`'s UTF-8 bytes: padded, unpadded, and the fragments at each byte offset. */
function encodedForms(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const encoded = new Set<string>();
  for (const alphabet of ['base64', 'base64url'] as const) {
    const full = bytes.toString(alphabet);
    encoded.add(full);
    encoded.add(full.replace(/=+$/, ''));
    for (const fragment of base64Fragments(bytes, alphabet)) if (fragment.length >= minimumFragmentLength) encoded.add(fragment);
  }
  return [...encoded];
}

/**
 * The base64 characters that depend only on `bytes` when they sit at each of the three byte offsets (mod 3) inside a longer
 * encoded text, e.g. the token in base64("user:" + token): whatever comes before or after, these characters are there.
 */
function base64Fragments(bytes: Buffer, alphabet: 'base64' | 'base64url'): string[] {
  const fragments: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString(alphabet);
    const first = Math.ceil((8 * offset) / 6);
    const end = Math.floor((8 * (offset + bytes.length)) / 6);
    fragments.push(encoded.slice(first, end));
  }
  return fragments;
}

/** A pattern matching `value` with each character as itself, percent-encoded (either hex case) or JSON-escaped. */
function flexible(value: string, mode: Mode): string {
  let source = '';
  for (const char of value) {
    const alternatives = charForms(char, mode);
    source += alternatives.length === 1 ? alternatives[0]! : `(?:${alternatives.join('|')})`;
  }
  return source;
}

const jsonShortEscapes: Readonly<Record<string, string>> = {
  '"': '\\"',
  '\\': '\\\\',
  '/': '\\/',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

function charForms(char: string, mode: Mode): string[] {
  const utf8 = Buffer.from(char, 'utf8');
  const forms = new Set<string>();
  forms.add(escapeRegExp(mode === 'text' ? char : utf8.toString('latin1')));
  forms.add([...utf8].map((byte) => `%${hexByte(byte)}`).join(''));
  if (char === ' ') forms.add('\\+');
  let unicodeEscape = '';
  for (let i = 0; i < char.length; i++) unicodeEscape += `\\\\u${hexDigits(char.charCodeAt(i), 4)}`;
  forms.add(unicodeEscape);
  const short = jsonShortEscapes[char];
  if (short) forms.add(escapeRegExp(short));
  return [...forms];
}

/** A byte as two hex digits, matching either letter case. */
function hexByte(byte: number): string {
  return hexDigits(byte, 2);
}

function hexDigits(value: number, width: number): string {
  return Array.from(value.toString(16).padStart(width, '0'))
    .map((d) => (/[a-f]/.test(d) ? `[${d}${d.toUpperCase()}]` : d))
    .join('');
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}
