// A target that attacks the reports people read: a loopback front to the reference simulator whose answers carry
// Markdown, HTML, workflow commands, ANSI/OSC sequences, lone CRs and non-XML characters in values and property names,
// thousands of made-up properties, and a text body of forged log lines.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSimulator, simulatorBasePath, type RunningSimulator } from '../../simulator/server';

/** A value with every injection at once: what a target could put in `users_count`. */
export const hostileValue = [
  'a``',
  '![pixel](https://attacker.example/value-pixel.png)',
  '<img src="https://attacker.example/value-img.png">',
  '[Approve: all checks passed](https://attacker.example/value-phish)',
  '**Contract gate: PASSED**',
  '##[error]forged from a value',
  '\n::error title=Contract gate::PASSED from a value',
  '\u001b[2J\u001b]8;;https://attacker.example/osc\u0007osc link\u001b]8;;\u0007',
  '\r## Forged heading from a value\r',
  '\ufffe\uffff\ud800 | a cell break',
  '``',
].join(' ');

/** Property names that try the same, one attack each (they come first, so each is among the findings listed). */
export const hostileNames = [
  'y\r\r## Contract gate: PASSED ✅\r\rAll checks green, merge away\r\r',
  'z\n::error title=Contract gate::PASSED\n::stop-commands::pwned\n  ::warning::indented\n',
  'w##[error]legacy command in a name',
  '\u001b]8;;https://attacker.example/osc-name\u0007click\u001b]8;;\u0007\u001b[31mred\u001b[0m',
  'v\ufffe\uffff\ud800\u0085\u2028x',
  '<img src=https://attacker.example/name-img.png>',
  '`` ![pixel](https://attacker.example/name-pixel.png) ``',
  '[phish](https://attacker.example/name-phish)',
  'a|b|c',
  '\r<h1>Forged h1</h1>\r',
];

/** A text body of forged log lines, answered to GET …/usage (so it is printed as the body of a failure). */
export const hostileTextBody = [
  '::error title=Contract gate::PASSED from a body',
  '   ::warning::indented command',
  '##[error]legacy command in a body',
  'lone CR\r::error::after a lone CR',
  '\u001b[31mred\u001b[0m \u001b]8;;https://attacker.example/body-osc\u0007link\u001b]8;;\u0007',
  'not XML: \ufffe\uffff',
].join('\n');

export interface ReportInjectingTarget {
  /** e.g. http://127.0.0.1:41234/v2/integrations */
  baseUrl: string;
  customers: RunningSimulator['customers'];
  stop(): Promise<void>;
}

/**
 * Starts the simulator and a front on 127.0.0.1 that rewrites the primary customer's 200 (when hostile: the hostile
 * value and names; `flood` uniquely named properties, new names in every answer) and, when hostile, every usage 200
 * (the forged log lines as text/plain). Everything else goes through as the simulator answers it.
 */
export async function startReportInjectingTarget(options: {
  /** Whether to inject the hostile value, names and text body; false: only the flood. */
  hostile: boolean;
  /** How many made-up properties to add to each answer of the primary customer. */
  flood: number;
  tokens?: Partial<Record<string, string>>;
}): Promise<ReportInjectingTarget> {
  const simulator = await startSimulator({ tokens: options.tokens });
  const simulatorUrl = new URL(simulator.baseUrl);
  const primaryPath = `${simulatorBasePath}/${encodeURIComponent(simulator.customer('primary').id)}`;
  let answers = 0;

  const front = http.createServer((req, res) => {
    const pathOnly = (req.url ?? '').split('?')[0]!;
    const headers = { ...req.headers, host: simulatorUrl.host };
    const out = http.request({ hostname: simulatorUrl.hostname, port: simulatorUrl.port, path: req.url, method: req.method, headers }, (answer) => {
      const parts: Buffer[] = [];
      answer.on('data', (c: Buffer) => parts.push(c));
      answer.on('end', () => {
        let body = Buffer.concat(parts);
        const { 'transfer-encoding': _te, connection: _c, 'content-length': _cl, ...rest } = answer.headers;
        if (options.hostile && req.method === 'GET' && answer.statusCode === 200 && pathOnly.endsWith('/usage')) {
          res.writeHead(200, { 'content-type': 'text/plain' }).end(hostileTextBody);
          return;
        }
        if (req.method === 'GET' && pathOnly === primaryPath && answer.statusCode === 200) body = Buffer.from(inject(body.toString('utf8'), (answers += 1)));
        res.writeHead(answer.statusCode ?? 502, { ...rest, 'content-length': body.length }).end(body);
      });
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
  });

  const inject = (text: string, answer: number): string => {
    const parsed = JSON.parse(text) as { data: Record<string, unknown> };
    const data: Record<string, unknown> = { ...parsed.data };
    if (options.hostile) {
      data.users_count = hostileValue;
      hostileNames.forEach((name, i) => (data[name] = `${hostileValue} #${i}`));
    }
    // Named to sort after the hostile names, so the per-run bound cuts the flood, not the names this test looks for.
    for (let i = 0; i < options.flood; i++) data[`zz_made_up_${answer}_${i}`] = i;
    return JSON.stringify({ ...parsed, data });
  };

  await new Promise<void>((resolve, reject) => {
    front.once('error', reject);
    front.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (front.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}${simulatorBasePath}`,
    customers: simulator.customers,
    async stop(): Promise<void> {
      front.closeAllConnections();
      await new Promise<void>((resolve) => front.close(() => resolve()));
      await simulator.stop();
    },
  };
}
