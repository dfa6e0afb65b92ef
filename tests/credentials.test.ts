// One credentials module for gate and exporter: tokens are checked at load, a bad rotation keeps the last good token
// with a warning, and redaction catches every form a token takes on the way out.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { authorizationValue as sharedAuthorizationValue, jwtExpiry, loadToken, tokenTextProblem, TokenReader, type TokenSource } from '../config/credentials';
import fc from 'fast-check';
import { redactBytes, redactText, redactTextExhaustively, Secret } from '../config/secret';
import { authorizationValue, loadBaseTarget, loadTargetConfig } from '../config/target';
import { loadTargetsFile, type TokenSource as ExporterTokenSource } from '../monitors/exporter/config';
import { userError } from './helpers/user-error';

const remote = { API_BASE_URL: 'https://api.example.test/v2/integrations', API_CUSTOMER_ID: 'cust_1' };

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'credentials-'));
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    return error as Error;
  }
  throw new Error('expected an error');
}

test.describe('one credentials module', () => {
  test('the old import paths are the shared module', () => {
    expect(authorizationValue).toBe(sharedAuthorizationValue);
    const source: ExporterTokenSource = { kind: 'env', variable: 'X' };
    const same: TokenSource = source;
    expect(same.kind).toBe('env');
    expect(jwtExpiry('a.b')).toBeUndefined();
    expect(authorizationValue('Bearer', new Secret('abc'))).toBe('Bearer abc');
    expect(authorizationValue('none', new Secret('abc'))).toBe('abc');
  });

  test('a token file is trimmed, and its source is kept so the exporter can follow a rotation', () => {
    const file = path.join(tempDir(), 'token');
    fs.writeFileSync(file, '  file_token_value \n');
    const problems: string[] = [];
    const loaded = loadToken({ API_TOKEN_FILE: file }, 'API_TOKEN', 'API_TOKEN_FILE', problems);
    expect(problems).toEqual([]);
    expect(loaded?.token.reveal()).toBe('file_token_value');
    expect(loaded?.source).toEqual({ kind: 'file', path: file });
    expect(loadBaseTarget({ ...remote, API_TOKEN_FILE: file }).tokenSource).toEqual({ kind: 'file', path: file });
  });
});

test.describe('a bad token is refused at load, naming the variable or file, never the value', () => {
  const bad: ReadonlyArray<[string, string, RegExp]> = [
    ['two lines', 'tok_first_line\ntok_second_line', /several lines/],
    ['a CRLF header injection', 'tok_value\r\nX-Evil: tok_more', /several lines/],
    ['a control character', 'tok_val\u0007ue_secret', /control character/],
    ['an escape sequence', 'tok_\u001b[31mvalue', /control character/],
    ['whitespace inside', 'tok_value secret_part', /whitespace/],
    ['a tab inside', 'tok_value\tsecret_part', /whitespace|control/],
  ];
  for (const [what, token, message] of bad) {
    test(`API_TOKEN with ${what}`, () => {
      for (const load of [loadTargetConfig, loadBaseTarget]) {
        const text = userError(() => load({ ...remote, API_TOKEN: token }));
        expect(text).toMatch(/^API_TOKEN /);
        expect(text).toMatch(message);
        expect(text).not.toContain('tok_');
        expect(text.split('\n')).toHaveLength(1);
      }
    });

    test(`a token file with ${what}`, () => {
      const file = path.join(tempDir(), 'token');
      fs.writeFileSync(file, `${token}\n`);
      const text = userError(() => loadTargetConfig({ ...remote, API_TOKEN_FILE: file }));
      expect(text).toContain(`API_TOKEN_FILE names ${file}, which `);
      expect(text).toMatch(message);
      expect(text).not.toContain('tok_');
    });
  }

  test('API_DELETE_TOKEN is checked the same way', () => {
    const text = userError(() =>
      loadTargetConfig({
        ...remote,
        API_TOKEN: 'tok_primary',
        API_ALLOW_DELETE: '1',
        API_DELETE_CUSTOMER_ID: 'cust_disposable',
        API_DELETE_TOKEN: 'tok_a\ntok_b',
      }),
    );
    expect(text).toMatch(/^API_DELETE_TOKEN holds several lines/);
    expect(text).not.toContain('tok_');
  });

  test('the exporter targets file: token_file and token_env are checked the same way', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'two-lines.token'), 'tok_one\ntok_two\n');
    fs.writeFileSync(
      path.join(dir, 'targets.yml'),
      'targets:\n  - name: a\n    base_url: https://a.example.test/v2/integrations\n    customer_id: cust_1\n    token_file: two-lines.token\n',
    );
    const fromFile = userError(() => loadTargetsFile(path.join(dir, 'targets.yml'), {}));
    expect(fromFile).toMatch(/target "a", key "token_file": names .*two-lines\.token, which holds several lines/);
    fs.writeFileSync(
      path.join(dir, 'env.yml'),
      'targets:\n  - name: a\n    base_url: https://a.example.test/v2/integrations\n    customer_id: cust_1\n    token_env: A_TOKEN\n',
    );
    const fromEnv = userError(() => loadTargetsFile(path.join(dir, 'env.yml'), { A_TOKEN: 'tok_x\u0000y' }));
    expect(fromEnv).toMatch(/key "token_env": names A_TOKEN, which contains a control character/);
    expect(`${fromFile}${fromEnv}`).not.toContain('tok_');
  });

  test('tokenTextProblem accepts ordinary tokens', () => {
    for (const token of ['sim_abc-DEF_123', 'eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9.sig', 'tök€n', 'a+b/c=']) expect(tokenTextProblem(token)).toBeUndefined();
  });
});

test.describe('the rotating token reader', () => {
  /** Writes a file and gives it a distinct mtime, so the reader sees a change however fast the writes are. */
  function writeAt(file: string, text: string, second: number): void {
    fs.writeFileSync(file, text);
    fs.utimesSync(file, 1_700_000_000 + second, 1_700_000_000 + second);
  }

  for (const [what, text] of [
    ['two lines', 'tok_rotated_one\ntok_rotated_two\n'],
    ['a control character', 'tok_rotated\u0001bad\n'],
    ['nothing', '\n'],
    ['whitespace inside', 'tok_rotated bad\n'],
  ] as const) {
    test(`a file rotated to ${what} keeps the last good token and warns once, without the token`, () => {
      const file = path.join(tempDir(), 'token');
      writeAt(file, 'tok_good_first\n', 1);
      const warnings: string[] = [];
      const reader = new TokenReader({ kind: 'file', path: file }, (line) => warnings.push(line));
      expect(reader.current().token.reveal()).toBe('tok_good_first');
      writeAt(file, text, 2);
      expect(reader.current().token.reveal()).toBe('tok_good_first');
      expect(reader.current().token.reveal()).toBe('tok_good_first');
      expect(warnings, 'one warning per change, not per probe').toHaveLength(1);
      expect(warnings[0]).toContain(file);
      expect(warnings[0]).toMatch(/still sending the last good token/);
      expect(warnings[0]).not.toContain('tok_');
      writeAt(file, 'tok_good_second\n', 3);
      expect(reader.current().token.reveal()).toBe('tok_good_second');
      expect(warnings).toHaveLength(1);
    });
  }

  test('with no last good token, current() throws an Error without the token', () => {
    const file = path.join(tempDir(), 'token');
    writeAt(file, 'tok_never_good\ntok_second_line\n', 1);
    const error = thrown(() => new TokenReader({ kind: 'file', path: file }).current());
    expect(error.message).toBe(`token file ${file} holds several lines (a token is one line)`);
    expect(error.message).not.toContain('tok_');
  });

  test('an env token source follows the same rules', () => {
    const variable = 'CREDENTIALS_TEST_TOKEN_VARIABLE';
    const warnings: string[] = [];
    try {
      process.env[variable] = 'tok_env\nsecond';
      expect(thrown(() => new TokenReader({ kind: 'env', variable }).current()).message).not.toContain('tok_');
      process.env[variable] = 'tok_env_good';
      const reader = new TokenReader({ kind: 'env', variable }, (line) => warnings.push(line));
      expect(reader.current().token.reveal()).toBe('tok_env_good');
      process.env[variable] = 'tok_env bad';
      expect(reader.current().token.reveal()).toBe('tok_env_good');
      expect(reader.current().token.reveal()).toBe('tok_env_good');
      expect(warnings).toEqual([`token variable ${variable} now contains whitespace inside the token: still sending the last good token until it is fixed`]);
    } finally {
      Reflect.deleteProperty(process.env, variable);
    }
  });

  test('no callback: a bad rotation is still survived', () => {
    const file = path.join(tempDir(), 'token');
    writeAt(file, 'tok_good\n', 1);
    const reader = new TokenReader({ kind: 'file', path: file });
    reader.current();
    writeAt(file, 'a\nb\n', 2);
    expect(reader.current().token.reveal()).toBe('tok_good');
  });
});

test.describe('redaction catches every form of a token', () => {
  // Non-ASCII, "/", "+", "=", a quote and a backslash: every escaping rule has something to do.
  const token = 'tök/en+Ab=cd"x\\y~9';
  const secrets = [new Secret(token)];
  const utf8 = Buffer.from(token, 'utf8');
  const json = JSON.stringify(token).slice(1, -1);
  const forms: ReadonlyArray<[string, string]> = [
    ['plain', token],
    ['encodeURIComponent', encodeURIComponent(token)],
    ['lower-case percent-encoding', encodeURIComponent(token).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())],
    ['every character percent-encoded', [...utf8].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')],
    ['form encoding', new URLSearchParams({ t: token }).toString().slice(2)],
    ['JSON-escaped', json],
    ['JSON with \\/ escaping', json.replace(/\//g, '\\/')],
    ['JSON with \\uXXXX for non-ASCII', json.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)],
    ['JSON with upper-case \\uXXXX', json.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}`)],
    [
      'JSON with every character \\u-escaped',
      Array.from(token)
        .map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
        .join(''),
    ],
    ['base64', utf8.toString('base64')],
    ['base64 without padding', utf8.toString('base64').replace(/=+$/, '')],
    ['base64url', utf8.toString('base64url')],
    ['base64 percent-encoded (a query string)', encodeURIComponent(utf8.toString('base64'))],
    ['hex', utf8.toString('hex')],
  ];
  for (const [what, form] of forms) {
    test(what, () => {
      const out = redactText(`before ${form} after`, secrets);
      expect(out).toBe('before [REDACTED] after');
    });
  }

  for (const prefix of ['user:', 'us:', 'u:', ':', 'x-token-user:']) {
    test(`base64 and base64url of "${prefix}token" (Basic auth style)`, () => {
      for (const alphabet of ['base64', 'base64url'] as const) {
        const encoded = Buffer.from(`${prefix}${token}`).toString(alphabet);
        const out = redactText(`Authorization: Basic ${encoded}`, secrets);
        expect(out).toContain('[REDACTED]');
        // What is left decodes to the prefix and at most one byte of the token.
        const rest = out.replace('Authorization: Basic ', '').split('[REDACTED]');
        expect(rest.join('').length, `${alphabet}: ${out}`).toBeLessThanOrEqual(Buffer.from(prefix).toString(alphabet).length + 4);
      }
    });
  }

  test('a token followed by ":" inside base64 (token as the Basic user name)', () => {
    const out = redactText(Buffer.from(`${token}:x`).toString('base64'), secrets);
    expect(out.startsWith('[REDACTED]')).toBe(true);
  });

  test('a text without the token is returned unchanged, and short secrets are left alone', () => {
    const text = 'nothing to see: tok, base64 dG9r, %74%6f%6b';
    expect(redactText(text, secrets)).toBe(text);
    expect(redactText('abc abc', ['abc'])).toBe('abc abc');
    expect(redactText('a secret_value b', [undefined, 'secret_value'])).toBe('a [REDACTED] b');
  });

  test("the plain-search shortcut never changes a result: random texts mixing a random token's characters in every form", () => {
    const tokenChar = fc.constantFrom(...'abcXYZ019-._~+/=:'.split(''));
    const encodings = [
      (c: string) => c,
      (c: string) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
      (c: string) => `%${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`,
      (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
      (c: string) => (c === '/' ? '\\/' : c),
    ];
    fc.assert(
      fc.property(
        fc.array(tokenChar, { minLength: 8, maxLength: 24 }).map((chars) => chars.join('')),
        fc.array(fc.tuple(fc.nat(encodings.length - 1), fc.constantFrom('token', 'base64', 'hex', 'noise', 'char')), { maxLength: 30 }),
        fc.string({ maxLength: 12 }),
        (token, pieces, noise) => {
          const bytes = Buffer.from(token);
          let text = noise;
          for (const [encoding, kind] of pieces) {
            const encode = encodings[encoding]!;
            if (kind === 'token') text += Array.from(token).map(encode).join('');
            else if (kind === 'base64') text += bytes.toString('base64');
            else if (kind === 'hex') text += bytes.toString('hex').toUpperCase();
            else if (kind === 'char') text += encode(token[encoding % token.length]!);
            else text += noise;
          }
          const secrets = [new Secret(token)];
          expect(redactText(text, secrets)).toBe(redactTextExhaustively(text, secrets));
          expect(redactBytes(Buffer.from(text, 'latin1'), secrets).toString('latin1')).toBe(redactTextExhaustively(text, secrets));
        },
      ),
      { seed: 20261127, numRuns: 300 },
    );
  });

  test('redactBytes redacts every form and keeps the other bytes exactly, even when they are not UTF-8', () => {
    const binary = Buffer.from([0xff, 0xfe, 0x00, 0x80]);
    for (const [, form] of forms) {
      const buf = Buffer.concat([binary, Buffer.from(` ${form} `, 'utf8'), binary]);
      const out = redactBytes(buf, secrets);
      expect(Buffer.compare(out, Buffer.concat([binary, Buffer.from(' [REDACTED] '), binary]))).toBe(0);
    }
    const clean = Buffer.from('no token here');
    expect(redactBytes(clean, secrets), 'nothing to redact: the same buffer').toBe(clean);
  });
});
