// Shared setup for the exporter's self-tests: simulator-backed targets, a quiet exporter, scraping, polling, a misbehaving raw socket server.
import net from 'node:net';
import { Secret } from '../../config/secret';
import type { ProbeSettings, ProbeTarget } from '../../monitors/exporter/config';
import { startExporter, type RunningExporter } from '../../monitors/exporter/server';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../../simulator/server';

export { repoRoot } from './processes';
/** The one exposition parser, shared with tools/bench-exporter.ts. */
export { sampleValue, sampleValues } from '../../tools/exposition';
export { runExporterCli } from './exporter-cli';

/** A target probing the simulator's primary customer with its real token (or `token` instead). */
export function simulatorTarget(sim: RunningSimulator, overrides: Partial<ProbeTarget> & { token?: string } = {}): ProbeTarget {
  const primary = sim.customer('primary');
  const { token, ...rest } = overrides;
  return {
    name: 'default',
    baseUrl: sim.baseUrl,
    customerId: primary.id,
    tokenSource: { kind: 'value', token: new Secret(token ?? primary.token) },
    authScheme: 'Bearer',
    ...rest,
  };
}

/** Fast settings for tests: a probe every 0.25 s. */
export const fastSettings: Partial<ProbeSettings> = { intervalSeconds: 0.25, timeoutSeconds: 0.2, jitterSeconds: 0.02 };

/** Starts a quiet exporter (no default metrics, no log) on port 0. */
export function startQuietExporter(
  targets: ProbeTarget[],
  settings: Partial<ProbeSettings> = fastSettings,
  extra: { scheduled?: boolean; probeReuseSeconds?: number } = {},
): Promise<RunningExporter> {
  // Tests expect a fresh probe from each /probe unless they test the reuse window itself.
  return startExporter({ targets, settings, port: 0, defaultMetrics: false, log: () => undefined, probeReuseSeconds: 0, ...extra });
}

/** Starts a simulator and a quiet exporter probing it (`target` overrides the target), runs `body`, then stops both. */
export async function withProbedSimulator(
  options: { simulator?: SimulatorOptions; target?: Partial<ProbeTarget> & { token?: string } },
  body: (sim: RunningSimulator, exporter: RunningExporter) => Promise<void>,
): Promise<void> {
  const sim = await startSimulator(options.simulator);
  try {
    const exporter = await startQuietExporter([simulatorTarget(sim, options.target)]);
    try {
      await body(sim, exporter);
    } finally {
      await exporter.stop();
    }
  } finally {
    await sim.stop();
  }
}

export async function scrape(
  exporter: { url: string },
  pathAndQuery = '/metrics',
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; contentType: string }> {
  const res = await fetch(`${exporter.url}${pathAndQuery}`, { headers });
  return { status: res.status, text: await res.text(), contentType: res.headers.get('content-type') ?? '' };
}

/** Polls until `check` returns a value that is not undefined/false, or fails with `what` after the timeout (30 s: generous, so a busy machine only slows a test). */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : last === undefined ? '' : `: ${JSON.stringify(last)}`}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A raw TCP server that misbehaves on purpose and records the request line of everything it receives. */
export interface RawServer {
  baseUrl: string;
  port: number;
  requests: string[];
  stop(): Promise<void>;
}

export type RawBehaviour = 'reset' | 'close-after-headers' | 'ok-json' | 'endless-chunked';

export async function startRawServer(behaviour: RawBehaviour): Promise<RawServer> {
  const requests: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffer = '';
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      if (!buffer.includes('\r\n\r\n')) return;
      requests.push(buffer.split('\r\n')[0] ?? '');
      buffer = '';
      if (behaviour === 'reset') {
        socket.resetAndDestroy();
      } else if (behaviour === 'endless-chunked') {
        // A 200 with no Content-Length that never ends: only the streaming body cap stops the read.
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
        const chunk = Buffer.alloc(64 * 1024, 'x');
        const pump = (): void => {
          while (!socket.destroyed && socket.write(`${chunk.length.toString(16)}\r\n${chunk.toString()}\r\n`)) {
            /* keep writing until the socket pushes back */
          }
          if (!socket.destroyed) socket.once('drain', pump);
        };
        pump();
      } else if (behaviour === 'close-after-headers') {
        socket.end('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"succ');
      } else {
        const body = '{"success":true}';
        socket.end(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}/v2/integrations`,
    port,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on (bound, then released). */
export { freePort as closedPort } from '../../tools/free-port';
