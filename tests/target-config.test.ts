// A bad target configuration stops the run before any test with one sentence that says what to fix.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { UserError } from '../config/errors';
import { loadGateSettings } from '../config/settings';
import { customerIdProblem, loadBaseTarget, loadTargetConfig, sameCustomerId } from '../config/target';
import { loadTargetsFile, targetFromApiConfig } from '../monitors/exporter/config';
import { startSimulator } from '../simulator/server';
import { freePort as closedPort } from '../tools/free-port';
import { runExporterCommand } from './helpers/exporter-cli';
import { repoRoot, runGate } from './helpers/run-gate';

const remote = { API_BASE_URL: 'https://api.example.test/v2/integrations', API_CUSTOMER_ID: 'cust_1', API_TOKEN: 'tok_secret_value' };

function configError(env: Record<string, string>, load: (env: Record<string, string>) => unknown = loadTargetConfig): string {
  try {
    load(env);
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
    expect(String(config.token)).toBe('[REDACTED]');
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
    expect(configError({ ...remote, API_ALLOW_DELETE: '1', API_DELETE_CUSTOMER_ID: 'cust_1', API_DELETE_TOKEN: 't' })).toMatch(
      /^API_DELETE_CUSTOMER_ID must not be API_CUSTOMER_ID/,
    );
    expect(configError({ ...remote, API_AUTH_SCHEME: 'Bear er' })).toMatch(/is not an HTTP auth scheme/);
  });

  test('a set-but-empty API_* variable is a mistake, never "unset": an empty API_BASE_URL does not fall back to the simulator', () => {
    for (const load of [loadTargetConfig, loadBaseTarget]) {
      expect(configError({ API_BASE_URL: '' }, load)).toMatch(/^API_BASE_URL is set but empty: give the real target's base URL, or unset it/);
      expect(configError({ API_BASE_URL: '  ' }, load)).toMatch(/^API_BASE_URL is set but empty/);
    }
    expect(configError({ ...remote, API_OTHER_CUSTOMER_ID: '' })).toBe('API_OTHER_CUSTOMER_ID is set but empty: give it a value or unset it');
    expect(configError({ ...remote, API_TOKEN: '', API_TOKEN_FILE: '' })).toMatch(/API_TOKEN is set but empty.*API_TOKEN_FILE is set but empty/);
    expect(configError({ API_BASE_URL: '' }, (env) => loadGateSettings(env))).toMatch(/^API_BASE_URL is set but empty/);
  });

  test('a misspelt name is caught with its suggestion, with or without its underscores', () => {
    for (const [name, known] of [
      ['APIBASEURL', 'API_BASE_URL'],
      ['API_BASEURL', 'API_BASE_URL'],
      ['apibaseurl', 'API_BASE_URL'],
      ['API-BASE-URL', 'API_BASE_URL'],
      ['APIBASE_URL', 'API_BASE_URL'],
      ['CONTRACTSTRICTNESS', 'CONTRACT_STRICTNESS'],
      ['APICUSTOMERID', 'API_CUSTOMER_ID'],
    ] as const) {
      expect(configError({ ...remote, [name]: 'https://api.example.test/v2/integrations' })).toBe(`unknown variable ${name}: did you mean ${known}?`);
      expect(configError({ [name]: 'x' }, (env) => loadGateSettings(env))).toBe(`unknown variable ${name}: did you mean ${known}?`);
    }
    // Names that only start like ours are not ours.
    expect(() => loadTargetConfig({ ...remote, APIARY: '1', API: 'x', CONTRACTOR_NAME: 'y' })).not.toThrow();
  });

  test('CONTRACT_REQUIRE_TARGET=1 without API_BASE_URL stops the run; with it the run goes on', () => {
    expect(configError({ CONTRACT_REQUIRE_TARGET: '1' }, (env) => loadGateSettings(env))).toMatch(
      /^CONTRACT_REQUIRE_TARGET=1 says this run must judge a real target, but API_BASE_URL is not set/,
    );
    expect(configError({ CONTRACT_REQUIRE_TARGET: 'yes' }, (env) => loadGateSettings(env))).toMatch(/CONTRACT_REQUIRE_TARGET must be 1\/true or 0\/false/);
    expect(() => loadGateSettings({ ...remote, CONTRACT_REQUIRE_TARGET: '1' })).not.toThrow();
    expect(() => loadGateSettings({ CONTRACT_REQUIRE_TARGET: '0' })).not.toThrow();
  });
});

test.describe('the gate stops before any test', () => {
  for (const [name, env, message] of [
    [
      'when a credential is missing',
      { API_BASE_URL: 'http://127.0.0.1:CLOSED_PORT/v2/integrations' },
      /^error: API_BASE_URL is set, so the real target needs credentials: set API_CUSTOMER_ID and API_TOKEN \(or API_TOKEN_FILE\)$/m,
    ],
    [
      'when the target is unreachable',
      { ...remote, API_BASE_URL: 'http://127.0.0.1:CLOSED_PORT/v2/integrations' },
      /^error: cannot reach API_BASE_URL http:\/\/127\.0\.0\.1:\d+\/v2\/integrations \(.*ECONNREFUSED.*\): check the URL/m,
    ],
    ['when SIMULATOR_MODE is unknown', { SIMULATOR_MODE: 'nonsense' }, /^error: SIMULATOR_MODE "nonsense" is not a simulator mode/m],
    ['when API_BASE_URL is set but empty (never the simulator)', { API_BASE_URL: '' }, /^error: API_BASE_URL is set but empty/m],
    [
      'when API_BASE_URL is misspelt',
      { APIBASEURL: 'http://127.0.0.1:CLOSED_PORT/v2/integrations' },
      /^error: unknown variable APIBASEURL: did you mean API_BASE_URL\?$/m,
    ],
    [
      'when the run must judge a real target and none is set',
      { CONTRACT_REQUIRE_TARGET: '1' },
      /^error: CONTRACT_REQUIRE_TARGET=1 says this run must judge a real target/m,
    ],
  ] as const) {
    test(name, async () => {
      const port = String(await closedPort());
      const run = await runGate({
        env: Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.replace('CLOSED_PORT', port)])),
        reportsDir: path.join(repoRoot, 'reports', 'self-test', `config-${name.replace(/\W+/g, '-')}`),
      });
      expect(run.exitCode).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr, 'no stack trace for a user mistake').not.toMatch(/\n\s+at /);
      expect(`${run.stdout}${run.stderr}`).not.toContain('tok_secret_value');
    });
  }
});

/** A remote configuration with every id and both tokens set, each different. */
const full = {
  ...remote,
  API_OTHER_CUSTOMER_ID: 'cust_other',
  API_MISSING_CUSTOMER_ID: 'cust_missing',
  API_ALLOW_DELETE: '1',
  API_DELETE_CUSTOMER_ID: 'cust_disposable',
  API_DELETE_TOKEN: 'tok_disposable_value',
};

test.describe('every id names a different customer, however it is spelt', () => {
  test('a complete configuration with distinct ids loads', () => {
    expect(loadTargetConfig(full)).toMatchObject({
      customerId: 'cust_1',
      otherCustomerId: 'cust_other',
      missingCustomerId: 'cust_missing',
      deleteCustomerId: 'cust_disposable',
      allowDelete: true,
    });
  });

  // The reported bug: a "missing" id that is the primary customer, probed by DELETE with the primary's token, deleted it.
  test('API_MISSING_CUSTOMER_ID = API_CUSTOMER_ID with API_DELETE_TOKEN = API_TOKEN is refused, both named', () => {
    const message = configError({ ...full, API_MISSING_CUSTOMER_ID: 'cust_1', API_DELETE_TOKEN: remote.API_TOKEN });
    expect(message).toContain('API_MISSING_CUSTOMER_ID must not be API_CUSTOMER_ID');
    expect(message).toContain('API_DELETE_TOKEN must not be API_TOKEN');
    expect(message.split('\n')).toHaveLength(1);
    expect(message).not.toContain('tok_secret_value');
  });

  for (const spelling of ['cust_1', ' cust_1 ', 'CUST_1', 'Cust_1', 'cust_1/', 'cust_1.', 'cust_1./', 'cust%5F1', 'cust%255F1', 'ｃｕｓｔ_1']) {
    for (const key of ['API_MISSING_CUSTOMER_ID', 'API_OTHER_CUSTOMER_ID', 'API_DELETE_CUSTOMER_ID'] as const) {
      test(`${key}=${JSON.stringify(spelling)} is API_CUSTOMER_ID`, () => {
        const message = configError({ ...full, [key]: spelling });
        if (spelling.endsWith('/')) expect(message).toMatch(new RegExp(`^${key} ".*" contains a path separator`));
        else expect(message).toMatch(new RegExp(`^${key} must not be API_CUSTOMER_ID \\(the same customer once .*\\): give `));
      });
    }
  }

  test('the other ids differ from each other too', () => {
    expect(configError({ ...full, API_DELETE_CUSTOMER_ID: 'CUST_OTHER' })).toMatch(
      /^API_DELETE_CUSTOMER_ID must not be API_OTHER_CUSTOMER_ID .*: give a dedicated disposable customer/,
    );
    expect(configError({ ...full, API_MISSING_CUSTOMER_ID: 'cust_other.' })).toMatch(
      /^API_MISSING_CUSTOMER_ID must not be API_OTHER_CUSTOMER_ID .*: give an id that does not exist/,
    );
    expect(configError({ ...full, API_MISSING_CUSTOMER_ID: 'Cust_Disposable' })).toMatch(/^API_MISSING_CUSTOMER_ID must not be API_DELETE_CUSTOMER_ID /);
    expect(configError({ ...full, API_DELETE_TOKEN: ` ${remote.API_TOKEN} ` })).toBe(
      "API_DELETE_TOKEN must not be API_TOKEN: give the disposable customer's own token (with the primary customer's token a DELETE can reach the primary customer)",
    );
  });

  test('the guards hold whatever API_ALLOW_DELETE and CONTRACT_READ_ONLY say', () => {
    expect(configError({ ...full, API_ALLOW_DELETE: '0', API_MISSING_CUSTOMER_ID: 'CUST_1' })).toMatch(/^API_MISSING_CUSTOMER_ID must not be API_CUSTOMER_ID/);
    expect(configError({ ...full, CONTRACT_READ_ONLY: '1', API_DELETE_TOKEN: remote.API_TOKEN })).toMatch(/^API_DELETE_TOKEN must not be API_TOKEN/);
  });

  test('sameCustomerId', () => {
    expect(sameCustomerId('cust_1', 'CUST_1./')).toBe(true);
    expect(sameCustomerId('cust_1', 'cust_10')).toBe(false);
  });
});

test.describe('an id is one path segment', () => {
  const bad: ReadonlyArray<[string, RegExp]> = [
    ['cust_1/usage', /contains a path separator/],
    ['..', /contains "\.\." or is only dots/],
    ['.', /is only dots/],
    ['cust_1\\x', /contains a path separator/],
    ['cust_1?x=1', /contains "\?"/],
    ['cust_1#x', /contains "#"/],
    ['cust%2F1', /contains a path separator \("\/" or "\\"\) \(percent-encoded\)/],
    ['cust%2f1', /path separator .*percent-encoded/],
    ['cust%252F1', /path separator .*percent-encoded/],
    ['cust%5C1', /path separator .*percent-encoded/],
    ['%2E%2E', /"\.\.".*percent-encoded/],
    ['cust%3F1', /"\?".*percent-encoded/],
    ['cust%231', /"#".*percent-encoded/],
    ['cust%0A1', /control character.*percent-encoded/],
    ['cust\u00001', /control character/],
    ['cust\u001b1', /control character/],
    ['cust／1', /path separator.*compatibility form/],
  ];
  for (const [id, problem] of bad) {
    test(`${JSON.stringify(id)} is refused for every id variable, and for the exporter`, () => {
      expect(customerIdProblem(id)).toMatch(problem);
      for (const key of ['API_CUSTOMER_ID', 'API_MISSING_CUSTOMER_ID', 'API_OTHER_CUSTOMER_ID', 'API_DELETE_CUSTOMER_ID']) {
        const message = configError({ ...full, [key]: id });
        expect(message).toMatch(new RegExp(`^${key} ".*" `));
        expect(message).toMatch(problem);
        expect(message).toMatch(/: give the bare customer id, e\.g\. cust_abc123$/);
        expect(message.split('\n'), 'one line, whatever the id holds').toHaveLength(1);
      }
      expect(configError({ ...remote, API_CUSTOMER_ID: id }, loadBaseTarget)).toMatch(problem);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ids-'));
      fs.writeFileSync(path.join(dir, 'token'), 'tok_file\n');
      fs.writeFileSync(
        path.join(dir, 'targets.yml'),
        `targets:\n  - name: a\n    base_url: https://a.example.test/v2/integrations\n    customer_id: ${JSON.stringify(id)}\n    token_file: token\n`,
      );
      expect(configError({}, () => loadTargetsFile(path.join(dir, 'targets.yml'), {}))).toMatch(
        new RegExp(`target "a", key "customer_id": ".*" .*${problem.source}`),
      );
    });
  }

  test('ordinary ids pass', () => {
    for (const id of ['cust_abc123', 'cust-1.2', 'CUST%201', 'c', 'cust_é']) expect(customerIdProblem(id)).toBeUndefined();
  });
});

test.describe('the exporter uses only the base loader', () => {
  test('the gate-only rules do not apply to loadBaseTarget', () => {
    const env = { ...remote, API_ALLOW_DELETE: '1', API_MISSING_CUSTOMER_ID: 'cust_1', API_DELETE_TOKEN: remote.API_TOKEN };
    expect(configError(env)).toMatch(/API_MISSING_CUSTOMER_ID must not be API_CUSTOMER_ID/);
    const base = loadBaseTarget(env);
    expect(base).toMatchObject({ kind: 'remote', baseUrl: remote.API_BASE_URL, customerId: 'cust_1', authScheme: 'Bearer' });
    expect(targetFromApiConfig(base)).toMatchObject({ name: 'default', customerId: 'cust_1', tokenSource: { kind: 'value' } });
    expect(configError({ ...remote, API_TOKN: 'x' }, loadBaseTarget)).toBe('unknown variable API_TOKN: did you mean API_TOKEN?');
  });

  test('API_ALLOW_DELETE=1 npm run monitor starts against a real API_BASE_URL without disposable credentials', async () => {
    const simulator = await startSimulator();
    try {
      const primary = simulator.customer('primary');
      const run = await runExporterCommand({
        env: {
          MONITOR_PORT: '0',
          MONITOR_HOST: '127.0.0.1',
          API_BASE_URL: simulator.baseUrl,
          API_CUSTOMER_ID: primary.id,
          API_TOKEN: primary.token,
          API_ALLOW_DELETE: '1',
        },
        until: /listening on /,
      });
      expect(run.matched, `the exporter started; stderr: ${run.stderr}`).toBe(true);
      expect(run.stderr).toContain('target "default" from API_BASE_URL');
      expect(run.stderr).not.toContain(primary.token);
    } finally {
      await simulator.stop();
    }
  });

  test('API_ALLOW_DELETE=1 npm run monitor starts with the embedded simulator', async () => {
    const run = await runExporterCommand({ env: { MONITOR_PORT: '0', MONITOR_HOST: '127.0.0.1', API_ALLOW_DELETE: '1' }, until: /listening on / });
    expect(run.matched, `the exporter started; stderr: ${run.stderr}`).toBe(true);
    expect(run.stderr).toContain('probing the embedded simulator');
  });
});

test.describe('no clear-text token to the network', () => {
  const insecure = 'http://api.example.test/v2/integrations';

  function capturedStderr(run: () => unknown): string {
    const write = process.stderr.write.bind(process.stderr);
    let text = '';
    process.stderr.write = (chunk: string | Uint8Array) => {
      text += String(chunk);
      return true;
    };
    try {
      run();
    } finally {
      process.stderr.write = write;
    }
    return text;
  }

  test('http:// to a host that is not loopback is refused by the gate and the exporter, in one line naming the opt-in', () => {
    for (const load of [loadTargetConfig, loadBaseTarget]) {
      const message = configError({ ...remote, API_BASE_URL: insecure }, load);
      expect(message).toBe(
        'API_BASE_URL would send the token to http://api.example.test in clear text (http:// to a host that is not loopback): use https://, or set API_ALLOW_INSECURE_HTTP=1 to accept that',
      );
    }
    for (const host of ['10.0.0.7', '[::ffff:10.0.0.7]', '192.168.1.1:8080', 'localhost.attacker.example', '127.0.0.1.nip.io', '[::2]']) {
      expect(configError({ ...remote, API_BASE_URL: `http://${host}/v2/integrations` }), host).toMatch(/in clear text/);
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clear-text-'));
    fs.writeFileSync(path.join(dir, 'token'), 'tok_file\n');
    fs.writeFileSync(path.join(dir, 'targets.yml'), `targets:\n  - name: a\n    base_url: ${insecure}\n    customer_id: cust_1\n    token_file: token\n`);
    expect(configError({}, () => loadTargetsFile(path.join(dir, 'targets.yml'), {}))).toBe(
      `${path.join(dir, 'targets.yml')}: target "a", key "base_url": this URL would send the token to http://api.example.test in clear text (http:// to a host that is not loopback): use https://, or set API_ALLOW_INSECURE_HTTP=1 to accept that`,
    );
    expect(loadTargetsFile(path.join(dir, 'targets.yml'), { API_ALLOW_INSECURE_HTTP: '1' })[0]!.baseUrl).toBe(insecure);
  });

  test('loopback stays allowed: localhost, 127.0.0.0/8 and ::1', () => {
    for (const host of ['127.0.0.1:8080', '127.1.2.3', 'localhost:4010', 'LOCALHOST', '[::1]:9000']) {
      expect(loadBaseTarget({ ...remote, API_BASE_URL: `http://${host}/v2/integrations` }).kind, host).toBe('remote');
    }
  });

  test('API_ALLOW_INSECURE_HTTP=1 opts in, and the opt-in is printed once', () => {
    const env = { ...remote, API_BASE_URL: 'http://optin.example.test/v2/integrations', API_ALLOW_INSECURE_HTTP: '1' };
    const printed = capturedStderr(() => {
      expect(loadTargetConfig(env).baseUrl).toBe(env.API_BASE_URL);
      loadBaseTarget(env);
    });
    expect(printed).toBe('warning: API_ALLOW_INSECURE_HTTP=1: the token goes to http://optin.example.test in clear text (http://, not loopback)\n');
    expect(configError({ ...env, API_ALLOW_INSECURE_HTTP: 'please' })).toMatch(/API_ALLOW_INSECURE_HTTP must be 1\/true or 0\/false/);
  });
});

test.describe('an id that is an alias of another (a suffix a lenient server drops) is the same customer', () => {
  for (const alias of ['cust_1;v=1', 'cust_1.json', 'CUST_1~', 'cust_1%2E']) {
    test(`API_MISSING_CUSTOMER_ID=${alias}`, () => {
      expect(configError({ ...remote, API_MISSING_CUSTOMER_ID: alias })).toMatch(/^API_MISSING_CUSTOMER_ID must not be API_CUSTOMER_ID/);
    });
  }
  test('an id that only begins like another is another customer', () => {
    expect(loadTargetConfig({ ...remote, API_MISSING_CUSTOMER_ID: 'cust_10' }).missingCustomerId).toBe('cust_10');
  });
});
