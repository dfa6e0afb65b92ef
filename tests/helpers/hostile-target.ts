// A hostile target for the suite's own tests: a loopback server in front of the reference simulator that answers like
// the documented API except where its mode attacks (redirects, token echoes, endless or compressed bodies, deep JSON,
// absurd Retry-After, stalled headers). A second loopback origin records whatever reaches it: any token there is a leak.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { startSimulator, simulatorBasePath, type RunningSimulator } from '../../simulator/server';

export const hostileModes = [
  'faithful',
  /** 302 on GET of the primary customer to `/http://127.0.0.1:<other>/x`: a path that an unsafe relay resolves as a URL. */
  'redirect-other-origin',
  /** 302 on GET of the primary customer to `http://127.0.0.1:<other>/x`. */
  'redirect-absolute',
  /** 302 on GET of the primary customer to `https://127.0.0.1:<other>/x`, in front of an http target. */
  'redirect-https',
  /** 307 on DELETE of any id but the primary, to the primary's path: a follower would delete the primary. */
  'redirect-delete',
  /** Every answer echoes the Authorization value in Set-Cookie (two cookies), the status text and `\/`-escaped JSON. */
  'echo-token',
  /** Every answer is gzip-compressed (whatever Accept-Encoding said) and holds the Authorization value. */
  'echo-token-gzip',
  /** GET answers 200 application/json and never stops sending (bounded: 2 GiB or 120 s). */
  'endless-body',
  /** GET answers a ~200 KB gzip body that inflates to 200 MiB. */
  'gzip-bomb',
  /** GET answers 200 with JSON nested 5,000 levels deep (~10 KB) under `data`. */
  'deep-json',
  /** GET answers 429 with `Retry-After: 99999999`. */
  'retry-after-huge',
  /** Headers are never sent (bounded: the socket is closed after 120 s or at stop). */
  'slow-headers',
] as const;
export type HostileMode = (typeof hostileModes)[number];

export interface RecordedRequest {
  method: string;
  /** The path and query as received. */
  url: string;
  /** The Authorization header as received, if any (tests compare it with tokens; never print it). */
  authorization: string | undefined;
  /** The status the hostile target (or the simulator behind it) answered. */
  status?: number;
}

export interface HostileTarget {
  /** e.g. http://127.0.0.1:41234/v2/integrations */
  baseUrl: string;
  /** The second origin redirects point at; it records every request and answers 200 `{}`. */
  otherOrigin: { url: string; requests: RecordedRequest[] };
  /** The simulator's customers (primary, other, disposable) with their tokens: what remoteTargetEnv needs. */
  customers: RunningSimulator['customers'];
  /** Every request the hostile target received, in order. */
  requests: RecordedRequest[];
  readonly mode: HostileMode;
  setMode(mode: HostileMode): void;
  /** Ids a DELETE removed (answered 200 by the simulator behind). */
  deletedIds(): string[];
  /** Whether the simulator still has the customer (asked with its own token, straight to the simulator). */
  exists(customerId: string): Promise<boolean>;
  stop(): Promise<void>;
}

const endlessLimitBytes = 2 * 1024 ** 3;
const stallLimitMs = 120_000;
let bombCache: Buffer | undefined;

/** ~200 KB of gzip that inflates to 200 MiB of spaces inside a JSON string: 200 concatenated gzip members of 1 MiB each. */
function gzipBomb(): Buffer {
  if (!bombCache) {
    const mib = zlib.gzipSync(Buffer.alloc(1024 * 1024, 0x20), { level: 9 });
    bombCache = Buffer.concat([zlib.gzipSync('{"success":true,"data":"'), ...Array.from({ length: 200 }, () => mib), zlib.gzipSync('"}')]);
  }
  return bombCache;
}

/** Starts the simulator, the hostile front and the second origin, all on 127.0.0.1. */
export async function startHostileTarget(options: { mode?: HostileMode; tokens?: Partial<Record<string, string>> } = {}): Promise<HostileTarget> {
  let mode: HostileMode = options.mode ?? 'faithful';
  const simulator = await startSimulator({ tokens: options.tokens });
  const simulatorUrl = new URL(simulator.baseUrl);
  const primary = simulator.customer('primary');
  const requests: RecordedRequest[] = [];
  const deleted: string[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const otherRequests: RecordedRequest[] = [];
  const other = http.createServer((req, res) => {
    otherRequests.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  await listen(other);
  const otherPort = (other.address() as AddressInfo).port;

  const proxy = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    record: RecordedRequest,
    transform?: (body: Buffer, headers: http.IncomingHttpHeaders) => void,
  ): void => {
    const headers = { ...req.headers, host: simulatorUrl.host };
    const out = http.request({ hostname: simulatorUrl.hostname, port: simulatorUrl.port, path: req.url, method: req.method, headers }, (answer) => {
      record.status = answer.statusCode;
      const parts: Buffer[] = [];
      answer.on('data', (c: Buffer) => parts.push(c));
      answer.on('end', () => {
        const body = Buffer.concat(parts);
        if (req.method === 'DELETE' && answer.statusCode === 200)
          deleted.push(decodeURIComponent((req.url ?? '').split('?')[0]!.slice(simulatorBasePath.length + 1)));
        if (transform) return transform(body, answer.headers);
        const { 'transfer-encoding': _te, connection: _c, ...rest } = answer.headers;
        res.writeHead(answer.statusCode ?? 502, { ...rest, 'content-length': body.length }).end(body);
      });
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
  };

  const front = http.createServer((req, res) => {
    const record: RecordedRequest = { method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization };
    requests.push(record);
    const auth = req.headers.authorization ?? '';
    const pathOnly = (req.url ?? '').split('?')[0]!;
    const isPrimaryRead = req.method === 'GET' && pathOnly === `${simulatorBasePath}/${encodeURIComponent(primary.id)}`;
    const isGet = req.method === 'GET';
    const answer = (status: number, headers: http.OutgoingHttpHeaders, body: string | Buffer = ''): void => {
      record.status = status;
      res.writeHead(status, headers).end(body);
    };
    switch (mode) {
      case 'redirect-other-origin':
        if (isPrimaryRead) return answer(302, { location: `/http://127.0.0.1:${otherPort}/x` });
        break;
      case 'redirect-absolute':
        if (isPrimaryRead) return answer(302, { location: `http://127.0.0.1:${otherPort}/x` });
        break;
      case 'redirect-https':
        if (isPrimaryRead) return answer(302, { location: `https://127.0.0.1:${otherPort}/x` });
        break;
      case 'redirect-delete':
        if (req.method === 'DELETE' && pathOnly !== `${simulatorBasePath}/${encodeURIComponent(primary.id)}`) {
          return answer(307, { location: `${simulatorBasePath}/${encodeURIComponent(primary.id)}` });
        }
        break;
      case 'echo-token':
        return proxy(req, res, record, (body, headers) => {
          const escaped = JSON.stringify(auth).slice(1, -1).replace(/\//g, '\\/');
          const text = body.toString('utf8');
          const echoed = text.startsWith('{') ? `{"echo":"${escaped}",${text.slice(1)}` : text;
          res.statusMessage = auth.replace(/[^\x20-\x7e]/g, '') || 'OK';
          res.writeHead(record.status ?? 200, {
            'content-type': headers['content-type'] ?? 'application/json',
            'set-cookie': [`session=${auth}`, `echo=${encodeURIComponent(auth)}`],
          });
          res.end(echoed);
        });
      case 'echo-token-gzip':
        return proxy(req, res, record, (body, headers) => {
          const text = body.toString('utf8');
          const echoed = text.startsWith('{') ? `{"echo":${JSON.stringify(auth)},${text.slice(1)}` : text;
          const gz = zlib.gzipSync(echoed);
          res.writeHead(record.status ?? 200, {
            'content-type': headers['content-type'] ?? 'application/json',
            'content-encoding': 'gzip',
            'content-length': gz.length,
          });
          res.end(gz);
        });
      case 'endless-body':
        if (isGet) return endless(res, record);
        break;
      case 'gzip-bomb':
        if (isGet) {
          const bomb = gzipBomb();
          return answer(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': bomb.length }, bomb);
        }
        break;
      case 'deep-json':
        if (isGet) {
          const depth = 5_000;
          return answer(200, { 'content-type': 'application/json' }, `{"success":true,"data":${'['.repeat(depth)}${']'.repeat(depth)}}`);
        }
        break;
      case 'retry-after-huge':
        if (isGet) return answer(429, { 'content-type': 'application/json', 'retry-after': '99999999' }, '{"success":false,"message":"slow down"}');
        break;
      case 'slow-headers': {
        const timer = setTimeout(() => {
          timers.delete(timer);
          res.destroy();
        }, stallLimitMs);
        timers.add(timer);
        return;
      }
      case 'faithful':
        break;
    }
    proxy(req, res, record);
  });

  const endless = (res: http.ServerResponse, record: RecordedRequest): void => {
    record.status = 200;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"success":true,"data":"');
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let sent = 0;
    const started = Date.now();
    const pump = (): void => {
      while (!res.destroyed && sent < endlessLimitBytes && Date.now() - started < stallLimitMs) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.destroy();
    };
    res.on('close', () => res.removeAllListeners('drain'));
    pump();
  };

  await listen(front);
  const port = (front.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}${simulatorBasePath}`,
    otherOrigin: { url: `http://127.0.0.1:${otherPort}`, requests: otherRequests },
    customers: simulator.customers,
    requests,
    get mode(): HostileMode {
      return mode;
    },
    setMode(next: HostileMode): void {
      mode = next;
    },
    deletedIds: () => [...deleted],
    async exists(customerId: string): Promise<boolean> {
      const customer = simulator.customers.find((c) => c.id === customerId);
      const res = await fetch(`${simulator.baseUrl}/${encodeURIComponent(customerId)}`, { headers: { authorization: `Bearer ${customer?.token ?? ''}` } });
      await res.arrayBuffer();
      return res.status === 200;
    },
    async stop(): Promise<void> {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const server of [front, other]) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
      await simulator.stop();
    },
  };
}

function listen(server: http.Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}
