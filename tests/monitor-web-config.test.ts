// Exporter access control the Prometheus way: an exporter-toolkit web configuration file gives HTTPS and basic auth.
import fs from 'node:fs';
import https from 'node:https';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import bcrypt from 'bcryptjs';
import { UserError } from '../config/errors';
import { startExporter, type RunningExporter } from '../monitors/exporter/server';
import { BasicAuthChecker, loadWebConfig } from '../monitors/exporter/web-config';
import { startSimulator, type RunningSimulator } from '../simulator/server';
import { eventually, sampleValue, simulatorTarget } from './helpers/monitor-harness';
import { issuedCertificate, selfSignedCertificate } from './helpers/tls';

interface Pki {
  dir: string;
  serverCert: string;
  serverKey: string;
  clientCa: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate no configured CA signed. */
  strangerCert: string;
  strangerKey: string;
}

const password = 'correct horse battery staple';
let pki: Pki;
let hash: string;
let sim: RunningSimulator;

test.beforeAll(() => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'monitor-web-config-'));
  // The exporter's certificate: self-signed for 127.0.0.1 (the test trusts it as its own CA).
  const server = selfSignedCertificate(dir, 'server', { commonName: '127.0.0.1', days: 2, loopback: true });
  // A client CA, a client certificate it signed, and a stranger's self-signed one.
  const ca = selfSignedCertificate(dir, 'ca', { commonName: 'test client CA', days: 2 });
  const client = issuedCertificate(dir, 'client', ca, { commonName: 'prometheus', days: 2 });
  const stranger = selfSignedCertificate(dir, 'stranger', { commonName: 'stranger', days: 2 });
  pki = {
    dir,
    serverCert: server.certFile,
    serverKey: server.keyFile,
    clientCa: ca.certFile,
    clientCert: client.certFile,
    clientKey: client.keyFile,
    strangerCert: stranger.certFile,
    strangerKey: stranger.keyFile,
  };
  hash = bcrypt.hashSync(password, 10);
});

test.beforeAll(async () => {
  sim = await startSimulator();
});

test.afterAll(async () => {
  // Both are unset when beforeAll failed part-way.
  await (sim as RunningSimulator | undefined)?.stop();
  const made = pki as Pki | undefined;
  if (made) fs.rmSync(made.dir, { recursive: true, force: true });
});

function writeConfig(name: string, text: string): string {
  const file = path.join(pki.dir, name);
  fs.writeFileSync(file, text);
  return file;
}

function startWith(webConfigFile: string): Promise<RunningExporter> {
  return startExporter({
    targets: [simulatorTarget(sim)],
    settings: { intervalSeconds: 0.25, timeoutSeconds: 0.2 },
    port: 0,
    defaultMetrics: false,
    log: () => undefined,
    webConfigFile,
  });
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request with a real TLS client (or plain HTTP), trusting only our server certificate. */
function request(url: string, options: { user?: string; password?: string; cert?: string; key?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (options.user !== undefined) headers.authorization = `Basic ${Buffer.from(`${options.user}:${options.password ?? ''}`).toString('base64')}`;
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const done = (res: http.IncomingMessage): void => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    };
    const req =
      target.protocol === 'https:'
        ? https.request(
            url,
            {
              headers,
              agent: false,
              ca: fs.readFileSync(pki.serverCert),
              cert: options.cert ? fs.readFileSync(options.cert) : undefined,
              key: options.key ? fs.readFileSync(options.key) : undefined,
            },
            done,
          )
        : http.request(url, { headers, agent: false }, done);
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('request timed out')));
    req.end();
  });
}

test('tls_server_config: the exporter serves HTTPS with the given certificate, and url says https', async () => {
  const file = writeConfig('tls.yml', `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n`);
  const exporter = await startWith(file);
  try {
    expect(exporter.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const metrics = await eventually('a probe result over HTTPS', async () => {
      const answer = await request(`${exporter.url}/metrics`);
      return answer.status === 200 && sampleValue(answer.body, 'probe_success', { operation: 'getCustomer', target: 'default' }) === 1 ? answer : undefined;
    });
    expect(metrics.headers['content-type']).toContain('text/plain');
    expect((await request(`${exporter.url}/probe?target=default&operation=getCustomer`)).status).toBe(200);
    // Plain HTTP to the same port gets no HTTP answer.
    await expect(request(exporter.url.replace('https:', 'http:') + '/metrics')).rejects.toThrow();
    // A client that does not trust the certificate refuses it.
    await expect(new Promise((resolve, reject) => https.get(`${exporter.url}/metrics`, { agent: false }, resolve).on('error', reject))).rejects.toThrow(
      /self[- ]signed|unable to verify/i,
    );
  } finally {
    await exporter.stop();
  }
});

test('basic_auth_users over TLS: 401 with WWW-Authenticate: Basic on every path without the right password; 200 with it', async () => {
  const file = writeConfig(
    'tls-auth.yml',
    `tls_server_config:\n  cert_file: ${pki.serverCert}\n  key_file: ${pki.serverKey}\nbasic_auth_users:\n  prometheus: ${hash}\n`,
  );
  const exporter = await startWith(file);
  try {
    for (const p of ['/', '/metrics', '/probe?target=default&operation=getCustomer', '/healthz', '/-/healthy', '/nope']) {
      for (const credentials of [{}, { user: 'prometheus', password: 'wrong' }, { user: 'mallory', password }, { user: 'prometheus', password: '' }]) {
        const answer = await request(`${exporter.url}${p}`, credentials);
        expect(answer.status, `${p} with ${JSON.stringify({ ...credentials, password: undefined })}`).toBe(401);
        expect(answer.headers['www-authenticate']).toMatch(/^Basic( |$)/);
        expect(answer.body, 'nothing of the page').not.toContain('probe');
      }
    }
    const ok = { user: 'prometheus', password };
    expect((await request(`${exporter.url}/healthz`, ok)).status).toBe(200);
    expect((await request(`${exporter.url}/`, ok)).body).toContain('Customer API synthetic probes');
    const probe = await request(`${exporter.url}/probe?target=default&operation=getCustomer`, ok);
    expect(probe.status).toBe(200);
    expect(sampleValue(probe.body, 'probe_success', { operation: 'getCustomer', target: 'default' })).toBe(1);
    expect((await request(`${exporter.url}/metrics`, ok)).status).toBe(200);
  } finally {
    await exporter.stop();
  }
});

test('basic auth without TLS works too (behind a TLS-terminating proxy), and headers from http_server_config are sent', async () => {
  const file = writeConfig(
    'auth-only.yml',
    `basic_auth_users:\n  prometheus: ${hash}\nhttp_server_config:\n  http2: false\n  headers:\n    X-Frame-Options: deny\n    X-Content-Type-Options: nosniff\n`,
  );
  const exporter = await startWith(file);
  try {
    expect(exporter.url).toMatch(/^http:\/\//);
    const denied = await request(`${exporter.url}/metrics`);
    expect(denied.status).toBe(401);
    expect(denied.headers['www-authenticate']).toMatch(/^Basic/);
    const ok = await request(`${exporter.url}/metrics`, { user: 'prometheus', password });
    expect(ok.status).toBe(200);
    expect(ok.headers['x-frame-options']).toBe('deny');
    expect(ok.headers['x-content-type-options']).toBe('nosniff');
  } finally {
    await exporter.stop();
  }
});

test('client_auth_type RequireAndVerifyClientCert: only a client certificate signed by client_ca_file gets in', async () => {
  const file = writeConfig(
    'mtls.yml',
    `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_ca_file: ca.crt\n  client_auth_type: RequireAndVerifyClientCert\n`,
  );
  const exporter = await startWith(file);
  try {
    expect((await request(`${exporter.url}/healthz`, { cert: pki.clientCert, key: pki.clientKey })).status).toBe(200);
    await expect(request(`${exporter.url}/healthz`), 'no client certificate').rejects.toThrow();
    await expect(request(`${exporter.url}/healthz`, { cert: pki.strangerCert, key: pki.strangerKey }), 'a certificate of another CA').rejects.toThrow();
  } finally {
    await exporter.stop();
  }
});

test('client_auth_type RequireAnyClientCert wants any certificate; VerifyClientCertIfGiven verifies one when given', async () => {
  const any = await startWith(
    writeConfig('mtls-any.yml', `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAnyClientCert\n`),
  );
  try {
    expect((await request(`${any.url}/healthz`, { cert: pki.strangerCert, key: pki.strangerKey })).status).toBe(200);
    await expect(request(`${any.url}/healthz`), 'no client certificate').rejects.toThrow();
  } finally {
    await any.stop();
  }
  const ifGiven = await startWith(
    writeConfig(
      'mtls-if-given.yml',
      `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_ca_file: ca.crt\n  client_auth_type: VerifyClientCertIfGiven\n`,
    ),
  );
  try {
    expect((await request(`${ifGiven.url}/healthz`)).status, 'no certificate: fine').toBe(200);
    expect((await request(`${ifGiven.url}/healthz`, { cert: pki.clientCert, key: pki.clientKey })).status).toBe(200);
    await expect(request(`${ifGiven.url}/healthz`, { cert: pki.strangerCert, key: pki.strangerKey }), 'a certificate of another CA').rejects.toThrow();
  } finally {
    await ifGiven.stop();
  }
});

test('a successful bcrypt check is cached per (user, password); wrong passwords are checked every time', async () => {
  const original = bcrypt.compare;
  let compares = 0;
  bcrypt.compare = ((...args: Parameters<typeof original>) => {
    compares += 1;
    return original(...args);
  }) as typeof bcrypt.compare;
  try {
    const checker = new BasicAuthChecker(new Map([['prometheus', hash]]));
    const header = (user: string, pw: string): string => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;
    for (let i = 0; i < 20; i++) expect(await checker.check(header('prometheus', password))).toBe('prometheus');
    expect(compares, 'one bcrypt computation for 20 scrapes').toBe(1);
    for (let i = 0; i < 3; i++) expect(await checker.check(header('prometheus', `${password}!`))).toBeUndefined();
    expect(compares, 'failures are not cached').toBe(4);
    expect(await checker.check(header('nobody', password)), 'an unknown user').toBeUndefined();
    expect(compares, 'an unknown user costs a bcrypt check too').toBe(5);
    for (const bad of [undefined, '', 'Bearer x', 'Basic', 'Basic !!!', `Basic ${Buffer.from('no-colon').toString('base64')}`]) {
      expect(await checker.check(bad)).toBeUndefined();
    }
    expect(await checker.check(header('prometheus', password)), 'still cached').toBe('prometheus');
    expect(compares).toBe(5);
  } finally {
    bcrypt.compare = original;
  }
});

test('a wrong-password flood runs at most 2 bcrypt comparisons at a time; the rest is refused at once, and remembered credentials still get in', async () => {
  // A comparator the test holds open: the flood's comparisons stay in flight while the test looks.
  let running = 0;
  let most = 0;
  let compares = 0;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const checker = new BasicAuthChecker(new Map([['prometheus', hash]]), {
    compare: async (pw, h) => {
      compares += 1;
      running += 1;
      most = Math.max(most, running);
      try {
        if (pw !== password) await gate;
        return await bcrypt.compare(pw, h);
      } finally {
        running -= 1;
      }
    },
  });
  const header = (user: string, pw: string): string => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;
  expect(await checker.check(header('prometheus', password))).toBe('prometheus');
  expect(compares).toBe(1);
  const flood = Array.from({ length: 50 }, (_, i) => checker.authenticate(header(i % 5 ? 'prometheus' : 'mallory', `guess-${i}`)));
  // While every free comparison is held by the flood, the remembered credentials get in without one.
  expect(await checker.authenticate(header('prometheus', password))).toEqual({ kind: 'ok', user: 'prometheus' });
  expect(checker.running, 'the flood holds both comparisons').toBe(2);
  release();
  const outcomes = await Promise.all(flood);
  expect(most, 'comparisons at once').toBeLessThanOrEqual(2);
  expect(compares, 'only the first remembered login and two of the 50 guesses were compared').toBe(3);
  expect(outcomes.filter((o) => o.kind === 'busy').length).toBe(48);
  expect(outcomes.filter((o) => o.kind === 'ok').length).toBe(0);
  // Once the flood is over, a wrong password is compared (and refused) again.
  expect(await checker.authenticate(header('prometheus', 'wrong'))).toEqual({ kind: 'denied' });
});

test('over HTTP: 40 clients guessing passwords get 401 or 429 at once, and an authenticated /metrics scrape is answered meanwhile', async () => {
  const file = writeConfig('flood.yml', `basic_auth_users:\n  prometheus: ${hash}\n`);
  const original = bcrypt.compare;
  let running = 0;
  let most = 0;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  bcrypt.compare = async (pw: string, h: string) => {
    running += 1;
    most = Math.max(most, running);
    try {
      if (pw !== password) await gate;
      return await original(pw, h);
    } finally {
      running -= 1;
    }
  };
  const exporter = await startWith(file);
  try {
    expect((await request(`${exporter.url}/metrics`, { user: 'prometheus', password })).status, 'first login').toBe(200);
    const flood = Array.from({ length: 40 }, (_, i) => request(`${exporter.url}/metrics`, { user: 'prometheus', password: `guess-${i}` }));
    // Two comparisons are held open; the other 38 guesses are refused at once (asserted below).
    await eventually('comparisons in flight', () => running >= 2);
    const scrape = await request(`${exporter.url}/metrics`, { user: 'prometheus', password });
    expect(scrape.status, 'an authenticated scrape during the flood').toBe(200);
    expect(scrape.body).toContain('probe_success');
    release();
    const answers = await Promise.all(flood);
    expect(most, 'bcrypt comparisons at once').toBeLessThanOrEqual(2);
    const statuses = answers.map((a) => a.status);
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
    expect(statuses.filter((s) => s === 429).length, 'refused without a comparison').toBeGreaterThanOrEqual(38);
    expect(answers.find((a) => a.status === 429)?.headers['retry-after']).toBe('1');
  } finally {
    release();
    bcrypt.compare = original;
    await exporter.stop();
  }
});

test.describe('the web configuration is strictly validated: one UserError naming the file and the key', () => {
  const cases: ReadonlyArray<[name: string, yaml: () => string, mentions: string[]]> = [
    ['unknown top-level key', () => `tls_config:\n  cert_file: server.crt\n`, ['key "tls_config"', 'unknown key']],
    [
      'unknown TLS key',
      () => `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  certfile: x\n`,
      ['key "tls_server_config.certfile"', 'unknown key'],
    ],
    [
      'missing certificate file',
      () => `tls_server_config:\n  cert_file: missing.crt\n  key_file: server.key\n`,
      ['key "tls_server_config.cert_file"', 'missing.crt', 'cannot be read'],
    ],
    ['key file without cert file', () => `tls_server_config:\n  key_file: server.key\n`, ['key "tls_server_config.cert_file"', 'is required']],
    [
      'a key that is not PEM',
      () => `tls_server_config:\n  cert_file: server.crt\n  key_file: server.crt\n`,
      ['key "tls_server_config.key_file"', 'not a PEM private key'],
    ],
    [
      'a key of another certificate',
      () => `tls_server_config:\n  cert_file: server.crt\n  key_file: ca.key\n`,
      ['key "tls_server_config.key_file"', 'cannot be used with the certificate'],
    ],
    [
      'client CA without a client auth type',
      () => `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_ca_file: ca.crt\n`,
      ['tls_server_config.client_auth_type', 'NoClientCert'],
    ],
    [
      'verifying without a client CA',
      () => `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n`,
      ['tls_server_config.client_ca_file', 'is required'],
    ],
    [
      'an unknown client auth type',
      () => `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: Sometimes\n`,
      ['tls_server_config.client_auth_type', 'RequireAndVerifyClientCert'],
    ],
    [
      'a bad TLS version',
      () => `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  min_version: SSL3\n`,
      ['tls_server_config.min_version', 'TLS12'],
    ],
    ['a password instead of a hash', () => `basic_auth_users:\n  prometheus: hunter2-plaintext\n`, ['key "basic_auth_users.prometheus"', 'not a bcrypt hash']],
    ['a truncated hash', () => `basic_auth_users:\n  prometheus: "${hash.slice(0, 40)}"\n`, ['key "basic_auth_users.prometheus"', 'not a bcrypt hash']],
    ['a user name with a colon', () => `basic_auth_users:\n  "pro:metheus": ${hash}\n`, ['basic_auth_users.pro:metheus', '":"']],
    ['a toolkit key this exporter does not implement', () => `rate_limit:\n  interval: 1s\n  burst: 20\n`, ['key "rate_limit"', 'not implemented']],
    [
      'an unknown response header',
      () => `http_server_config:\n  headers:\n    X-Powered-By: me\n`,
      ['http_server_config.headers.X-Powered-By', 'unknown header'],
    ],
    ['not YAML', () => `basic_auth_users: [\n`, ['is not valid YAML']],
    ['not a mapping', () => `- just\n- a list\n`, ['must be a mapping']],
  ];
  for (const [name, yaml, mentions] of cases) {
    test(name, () => {
      const file = writeConfig(`invalid-${name.replace(/\W+/g, '-')}.yml`, yaml());
      let error: unknown;
      try {
        loadWebConfig(file);
      } catch (e) {
        error = e;
      }
      expect(error, 'a UserError').toBeInstanceOf(UserError);
      const message = (error as Error).message;
      expect(message, 'names the file').toContain(file);
      for (const m of mentions) expect(message).toContain(m);
      expect(message, 'one line').not.toContain('\n');
      expect(message, 'never quotes a hash or a password').not.toMatch(/\$2[aby]\$\d{2}\$|hunter2/);
    });
  }

  test('a file that cannot be read, and startExporter refuses a bad file before listening', async () => {
    expect(() => loadWebConfig(path.join(pki.dir, 'absent.yml'))).toThrow(UserError);
    const file = writeConfig('bad-start.yml', `basic_auth_users:\n  prometheus: plaintext\n`);
    await expect(startWith(file)).rejects.toThrow(UserError);
  });

  test('an empty file is valid and changes nothing (plain HTTP, no auth)', async () => {
    const exporter = await startWith(writeConfig('empty.yml', ''));
    try {
      expect(exporter.url).toMatch(/^http:\/\//);
      expect((await request(`${exporter.url}/healthz`)).status).toBe(200);
    } finally {
      await exporter.stop();
    }
  });
});
