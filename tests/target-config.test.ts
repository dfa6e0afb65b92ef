// A bad target configuration stops the run before any test with one sentence that says what to fix.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { UserError } from '../config/errors';
import { loadTargetConfig } from '../config/target';
import { freePort as closedPort } from '../tools/free-port';
import { repoRoot, runGate } from './helpers/run-gate';

const remote = { API_BASE_URL: 'https://api.example.test/v2/integrations', API_CUSTOMER_ID: 'cust_1', API_TOKEN: 'tok_secret_value' };

function configError(env: Record<string, string>): string {
  try {
    loadTargetConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return (error as UserError).message;
  }
  throw new Error('expected a configuration error');
}

test.describe('target configuration', () => {
  test('a complete remote configuration loads, and the token does not print', () => {
    const config = loadTargetConfig(remote);
    expect(config.kind).toBe('remote');
    expect(config.baseUrl).toBe('https://api.example.test/v2/integrations');
    expect(config.authScheme).toBe('Bearer');
    expect(config.allowDelete).toBe(false);
    expect(JSON.stringify(config)).not.toContain('tok_secret_value');
    expect(`${config.token}`).toBe('[REDACTED]');
  });

  test('a token file is read, and a missing one is named', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tok-')), 'token');
    fs.writeFileSync(file, 'file_token_value\n');
    const { API_TOKEN: _unused, ...noToken } = remote;
    expect(loadTargetConfig({ ...noToken, API_TOKEN_FILE: file }).token.reveal()).toBe('file_token_value');
    expect(configError({ ...noToken, API_TOKEN_FILE: `${file}.nope` })).toMatch(/API_TOKEN_FILE names .*\.nope, which cannot be read/);
    expect(configError({ ...remote, API_TOKEN_FILE: file })).toMatch(/set API_TOKEN or API_TOKEN_FILE, not both/);
  });

  test('missing credentials are all named in one message', () => {
    expect(configError({ API_BASE_URL: remote.API_BASE_URL })).toBe(
      'API_BASE_URL is set, so the real target needs credentials: set API_CUSTOMER_ID and API_TOKEN (or API_TOKEN_FILE)',
    );
  });

  test('a bad URL, a typo and an unsafe DELETE opt-in are rejected', () => {
    expect(configError({ ...remote, API_BASE_URL: 'integrationscore/v2' })).toMatch(/is not a URL/);
    expect(configError({ ...remote, API_BASE_URL: 'https://user:pw@host/v2/integrations' })).toMatch(/must not carry credentials/);
    expect(configError({ ...remote, API_TOKN: 'x' })).toBe('unknown variable API_TOKN: did you mean API_TOKEN?');
    expect(configError({ ...remote, API_ALLOW_DELETE: 'yes' })).toMatch(/API_ALLOW_DELETE must be 1\/true or 0\/false/);
    expect(configError({ ...remote, API_ALLOW_DELETE: '1' })).toMatch(/needs a dedicated disposable customer/);
    expect(configError({ ...remote, API_ALLOW_DELETE: '1', API_DELETE_CUSTOMER_ID: 'cust_1', API_DELETE_TOKEN: 't' })).toMatch(/not API_CUSTOMER_ID/);
    expect(configError({ ...remote, API_AUTH_SCHEME: 'Bear er' })).toMatch(/is not an HTTP auth scheme/);
  });
});

test.describe('the gate stops before any test', () => {
  for (const [name, env, message] of [
    ['when a credential is missing', { API_BASE_URL: 'http://127.0.0.1:CLOSED_PORT/v2/integrations' }, /^error: API_BASE_URL is set, so the real target needs credentials: set API_CUSTOMER_ID and API_TOKEN \(or API_TOKEN_FILE\)$/m],
    ['when the target is unreachable', { ...remote, API_BASE_URL: 'http://127.0.0.1:CLOSED_PORT/v2/integrations' }, /^error: cannot reach API_BASE_URL http:\/\/127\.0\.0\.1:\d+\/v2\/integrations \(.*ECONNREFUSED.*\): check the URL/m],
    ['when SIMULATOR_MODE is unknown', { SIMULATOR_MODE: 'nonsense' }, /^error: SIMULATOR_MODE "nonsense" is not a simulator mode/m],
  ] as const) {
    test(name, async () => {
      const port = String(await closedPort());
      const run = await runGate({ env: Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.replace('CLOSED_PORT', port)])), reportsDir: path.join(repoRoot, 'reports', 'self-test', `config-${name.replace(/\W+/g, '-')}`) });
      expect(run.exitCode).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr, 'no stack trace for a user mistake').not.toMatch(/\n\s+at /);
      expect(`${run.stdout}${run.stderr}`).not.toContain('tok_secret_value');
    });
  }
});
