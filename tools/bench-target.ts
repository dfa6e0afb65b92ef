// A loopback API for the benchmarks: answers the documented example body for any customer id, as cheaply as Node can.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { loadContract } from '../contract';
import { UserError } from '../config/errors';

const repoRoot = path.resolve(__dirname, '..');

/** The documented 200 example of an operation, from the OpenAPI document (never re-declared here). */
function documentedExample(operationId: string): Record<string, unknown> {
  const contract = loadContract();
  const operation = [...contract.operations.values()].find((o) => o.operationId === operationId);
  if (!operation) throw new Error(`the contract has no operation ${operationId}`);
  const item = contract.document.paths?.[operation.path] as Record<string, { responses: Record<string, unknown> }>;
  const response = item[operation.method]!.responses['200'] as { content: Record<string, { examples: Record<string, { value: Record<string, unknown> }> }> };
  return response.content['application/json']!.examples.documented!.value;
}

/**
 * Serves GET /v2/integrations/{id} and …/{id}/usage with the documented bodies (the id echoed in `customer_id`) to the
 * bearer `token` only; 401 otherwise, 404 for any other path. Listens on 127.0.0.1 only.
 */
export async function startBenchTarget(token: string, port = 0): Promise<{ baseUrl: string; server: http.Server }> {
  const customer = JSON.stringify(documentedExample('getCustomer'));
  const usage = JSON.stringify(documentedExample('getCustomerUsage'));
  const authorization = `Bearer ${token}`;
  // The body with its id swapped in by string concatenation: no JSON work per request.
  const [customerHead, customerTail] = customer.split('"cust_abc123"') as [string, string];
  const [usageHead, usageTail] = usage.split('"cust_abc123"') as [string, string];
  const route = /^\/v2\/integrations\/([A-Za-z0-9_-]{1,64})(\/usage)?$/;
  const server = http.createServer((req, res) => {
    const match = req.method === 'GET' ? route.exec(req.url ?? '') : null;
    if (!match) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"success":false,"error":"not found"}');
      return;
    }
    if (req.headers.authorization !== authorization) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"success":false,"error":"unauthorized"}');
      return;
    }
    const id = JSON.stringify(match[1]);
    const body = match[2] ? `${usageHead}${id}${usageTail}` : `${customerHead}${id}${customerTail}`;
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return { baseUrl: `http://127.0.0.1:${address.port}/v2/integrations`, server };
}

/** A bench target in its own process (so its CPU is not the exporter's), ready when it printed its address. */
export async function spawnBenchTarget(token: string): Promise<{ child: ChildProcess; baseUrl: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'tools', 'bench-target.ts')], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', BENCH_TARGET_TOKEN: token },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 20_000;
  for (;;) {
    const match = /^listening (\S+)$/m.exec(output);
    if (match) return { child, baseUrl: match[1]! };
    if (Date.now() > deadline || child.exitCode !== null) throw new UserError('the benchmark target did not start');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

if (require.main === module) {
  const token = process.env.BENCH_TARGET_TOKEN;
  if (!token) {
    process.stderr.write('error: BENCH_TARGET_TOKEN is not set (the bearer token the target accepts)\n');
    process.exit(2);
  }
  void startBenchTarget(token).then(({ baseUrl }) => process.stdout.write(`listening ${baseUrl}\n`));
  process.once('SIGTERM', () => process.exit(0));
}
