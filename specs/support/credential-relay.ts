// A loopback relay that adds the Authorization header on the way out, so no token ever enters Playwright's traces or reports.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { authorizationValue, type TargetConfig } from '../../config/target';
import { redactText, type Secret } from '../../config/secret';

/** Header a spec sets to ask the relay for a credential by name; its value is `primary` or `disposable`, optionally `; scheme=Basic`. */
export const credentialHeader = 'x-contract-credential';
/** Header the relay sets on an answer it made itself (the target could not be reached); never set by the API. */
export const relayErrorHeader = 'x-contract-relay-error';

export type CredentialName = 'primary' | 'disposable';

export interface CredentialRelay {
  /** Relay root, with a trailing slash: requests to `${url}cust_1/usage` reach `${baseUrl}/cust_1/usage`. */
  url: string;
  stop(): Promise<void>;
}

const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host', 'content-length']);

/** Starts the relay on a free loopback port in front of the target. */
export async function startCredentialRelay(target: TargetConfig, upstreamTimeoutMs = 30_000): Promise<CredentialRelay> {
  const upstream = new URL(`${target.baseUrl}/`);
  const client = upstream.protocol === 'https:' ? https : http;
  const agent = new client.Agent({ keepAlive: true });
  const tokens: Record<CredentialName, Secret | undefined> = { primary: target.token, disposable: target.deleteToken };
  const secrets = [target.token, target.deleteToken];

  const server = http.createServer((req, res) => {
    const fail = (message: string): void => {
      if (res.headersSent) return void res.destroy();
      res.writeHead(502, { 'content-type': 'text/plain', [relayErrorHeader]: 'true' });
      res.end(redactText(message, secrets));
    };
    const headers: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (!hopByHop.has(name) && name !== credentialHeader && value !== undefined) headers[name] = value;
    }
    const marker = req.headers[credentialHeader];
    if (typeof marker === 'string') {
      const [name, ...params] = marker.split(';').map((part) => part.trim());
      const token = name === 'primary' || name === 'disposable' ? tokens[name] : undefined;
      if (!token) return fail(`the relay has no credential named "${name}"`);
      const scheme = params.find((p) => p.startsWith('scheme='))?.slice('scheme='.length) ?? target.authScheme;
      headers.authorization = authorizationValue(scheme, token);
    }
    const url = new URL((req.url ?? '/').replace(/^\//, ''), upstream);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (body.length > 0) headers['content-length'] = body.length;
      const out = client.request(url, { method: req.method, headers, agent, timeout: upstreamTimeoutMs }, (answer) => {
        const parts: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => parts.push(chunk));
        answer.on('error', (error) => fail(`the target's answer broke off: ${error.message}`));
        answer.on('end', () => {
          // The API should never echo a token; if it does, keep it out of the report all the same.
          const text = Buffer.concat(parts);
          const clean = secrets.some((s) => s && text.includes(s.reveal())) ? Buffer.from(redactText(text.toString('utf8'), secrets)) : text;
          const responseHeaders: http.OutgoingHttpHeaders = {};
          for (const [name, value] of Object.entries(answer.headers)) {
            if (!hopByHop.has(name) && value !== undefined) responseHeaders[name] = typeof value === 'string' ? redactText(value, secrets) : value;
          }
          responseHeaders['content-length'] = clean.length;
          res.writeHead(answer.statusCode ?? 502, answer.statusMessage, responseHeaders);
          res.end(clean);
        });
      });
      out.on('timeout', () => out.destroy(new Error(`no answer within ${upstreamTimeoutMs / 1000} s`)));
      out.on('error', (error) => fail(`cannot reach ${target.baseUrl}: ${error.message}`));
      out.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    stop: async () => {
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
