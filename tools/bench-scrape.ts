// How the scale bench reads /metrics: timed like Prometheus reads it, and the floors it is compared with.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { Gauge, Registry } from 'prom-client';

/**
 * One GET timed from the request to the last byte, reading into one buffer reused for every read and every scrape
 * (Prometheus reads into pooled buffers too) and keeping nothing: what is timed is the server, not this client's
 * allocations. The body is only counted; read it with an untimed scrape.
 */
export async function timedGet(url: string): Promise<{ ms: number; bytes: number }> {
  const { hostname, port, pathname, search } = new URL(url);
  const started = performance.now();
  let bytes = 0;
  let head = '';
  await new Promise<void>((resolve, reject) => {
    const socket = net.connect({
      host: hostname,
      port: Number(port),
      onread: {
        buffer: readBuffer,
        callback: (size: number, buffer: Uint8Array) => {
          if (head.length < 16) head += Buffer.from(buffer.subarray(0, Math.min(size, 16))).toString('latin1');
          bytes += size;
          return true;
        },
      },
    });
    socket.on('connect', () => socket.write(`GET ${pathname}${search} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: close\r\n\r\n`));
    socket.on('end', () => {
      socket.destroy();
      if (/^HTTP\/1\.[01] 200 /.test(head)) resolve();
      else reject(new Error(`${url} answered ${JSON.stringify(head.split('\r\n')[0])}`));
    });
    socket.on('error', reject);
  });
  return { ms: performance.now() - started, bytes };
}

const readBuffer = Buffer.allocUnsafeSlow(256 * 1024);

/**
 * The transfer floor: a plain node:http server in its own process answering every GET with the same bytes from one
 * buffer it never rewrites (no rendering at all). Resolves with its URL and a stop function.
 */
export async function startStaticServer(file: string): Promise<{ url: string; child: ChildProcess }> {
  const code = `
    const body = require('node:fs').readFileSync(process.argv[1]);
    const server = require('node:http').createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Content-Length': body.length });
      res.end(body);
    });
    server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));`;
  const child = spawn(process.execPath, ['-e', code, file], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
    child.once('exit', (code) => reject(new Error(`the static server exited (${code})`)));
  });
  return { url: `http://127.0.0.1:${port}/metrics`, child };
}

/**
 * The library reference: prom-client rendering `series` plain gauge series with the exporter's label shape
 * (operation, target), in this process; the milliseconds of each of `runs` renderings of registry.metrics().
 */
export async function promClientRenderMs(series: number, runs: number): Promise<number[]> {
  const registry = new Registry();
  const perFamily = Math.ceil(series / 10);
  for (let f = 0; f < 10; f++) {
    const gauge = new Gauge({ name: `bench_family_${f}`, help: 'A plain gauge family.', labelNames: ['operation', 'target'], registers: [registry] });
    for (let i = 0; i < perFamily; i++) gauge.set({ operation: i % 2 === 0 ? 'getCustomer' : 'getCustomerUsage', target: `t${i >> 1}` }, Math.random());
  }
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    await registry.metrics();
    times.push(performance.now() - started);
  }
  return times;
}
