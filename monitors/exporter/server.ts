// The exporter's HTTP face: /metrics, /probe (on-scrape, fresh registry), /healthz, and the status page; start/stop for tests.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import express, { type NextFunction, type Request, type Response } from 'express';
import { UserError } from '../../config/errors';
import { loadContract, terminalText } from '../../contract/index';
import { probeSettingsProblems, resolveProbeSettings, type ProbeSettings, type ProbeTarget } from './config';
import { ExporterMetrics, singleProbeRegistry } from './metrics';
import { isOperationId, operationIds, type ProbeResult } from './probers';
import { discardProbeLog, ProbeRunner } from './scheduler';
import { buildStatusReport, renderStatusPage, type StatusInput } from './status-page';
import { BasicAuthChecker, loadWebConfig, type WebConfig } from './web-config';

/** How to start an exporter. */
export interface ExporterOptions {
  targets: ReadonlyArray<ProbeTarget>;
  /** Probe schedule and limits; unset fields take the defaults of config/settings.ts (exporterDefaults). */
  settings?: Partial<ProbeSettings>;
  /** Default 0 (any free port); the CLI passes MONITOR_PORT (default in config/settings.ts). */
  port?: number;
  /** Default 127.0.0.1; the CLI passes MONITOR_HOST. */
  host?: string;
  /** Whether to probe on a schedule; false leaves only /probe. Default true. */
  scheduled?: boolean;
  /** Whether to add process_* and nodejs_* metrics. Default true. */
  defaultMetrics?: boolean;
  /** Where operational log lines go; default stderr. Never receives a token. */
  log?: (line: string) => void;
  /** Runs after the server closed, e.g. to stop an embedded simulator. */
  onStop?: () => Promise<void>;
  /** An exporter-toolkit web configuration file (TLS, basic auth); see web-config.ts and the README. */
  webConfigFile?: string;
  /**
   * /probe answers a result of the same target×operation that finished less than this many seconds ago instead of
   * calling the API again (0: always probe). Default: min(10 s, the probe interval).
   */
  probeReuseSeconds?: number;
  /** Receives one JSON line per failed probe (the CLI's --log.failures=json writes them to stdout). */
  failureLog?: (line: string) => void;
}

/** A running exporter. */
export interface RunningExporter {
  /** e.g. http://127.0.0.1:9464, or https://… with a web configuration's tls_server_config */
  url: string;
  port: number;
  settings: ProbeSettings;
  runner: ProbeRunner;
  metrics: ExporterMetrics;
  /** Stops probing, clears every timer and closes every connection. */
  stop(): Promise<void>;
}

/**
 * At most this many /probe requests are answered at once (all target×operation pairs together, joiners of an
 * in-flight probe included); beyond it /probe answers 503 at once. 200 scrapes in parallel must not become 200
 * requests to the vendor, nor 200 sockets held open here.
 */
export const maxConcurrentScrapeProbes = 32;

/**
 * /probe reuses a result of the same target×operation younger than this (or than the probe interval, if shorter):
 * 16 strangers looping on /probe make at most one API call per pair per window, not hundreds.
 */
export const defaultProbeReuseSeconds = 10;

/** The offset blackbox_exporter subtracts from Prometheus' scrape timeout so the answer arrives in time. */
const scrapeTimeoutOffsetSeconds = 0.5;

/** Starts the exporter: validates settings, starts the schedule, listens. */
export async function startExporter(options: ExporterOptions): Promise<RunningExporter> {
  const settings = resolveProbeSettings(options.settings);
  const problems = probeSettingsProblems(settings);
  if (options.targets.length === 0) problems.push('there is no target to probe');
  if (problems.length > 0) throw new UserError(problems.join('; '));
  const webConfig = options.webConfigFile === undefined ? undefined : loadWebConfig(options.webConfigFile);
  const log = options.log ?? ((line: string) => process.stderr.write(`${new Date().toISOString()} exporter: ${line}\n`));
  const metrics = new ExporterMetrics({ defaultMetrics: options.defaultMetrics ?? true });
  const runner = new ProbeRunner({ targets: options.targets, settings, contract: loadContract(), metrics, log, failureLog: options.failureLog });
  const reuseWithinMs = Math.max(0, options.probeReuseSeconds ?? Math.min(defaultProbeReuseSeconds, settings.intervalSeconds)) * 1000;
  const app = createExporterApp(runner, metrics, webConfig, log, reuseWithinMs);

  const server = webConfig?.tls ? createTlsServer(webConfig, app) : http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  if (options.scheduled ?? true) runner.start();
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  let stopping: Promise<void> | undefined;
  return {
    url: `${webConfig?.tls ? 'https' : 'http'}://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${port}`,
    port,
    settings,
    runner,
    metrics,
    stop: () =>
      (stopping ??= (async () => {
        runner.stop();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await options.onStop?.();
      })()),
  };
}

/**
 * HTTPS with the web configuration's certificate and key, and its client-certificate policy (Go's tls.ClientAuthType:
 * Node verifies against client_ca when asked, and the two "Require…" policies drop a connection without a certificate).
 */
function createTlsServer(webConfig: WebConfig, app: express.Express): https.Server {
  const t = webConfig.tls!;
  const requestCert = t.clientAuthType !== 'NoClientCert';
  const server = https.createServer(
    {
      cert: t.cert,
      key: t.key,
      ca: t.clientCa,
      requestCert,
      rejectUnauthorized: t.clientAuthType === 'RequireAndVerifyClientCert',
      minVersion: t.minVersion,
      maxVersion: t.maxVersion,
    },
    app,
  );
  if (t.clientAuthType === 'RequireAnyClientCert' || t.clientAuthType === 'VerifyClientCertIfGiven') {
    server.on('secureConnection', (socket: TLSSocket) => {
      const presented = Object.keys(socket.getPeerCertificate()).length > 0;
      if (t.clientAuthType === 'RequireAnyClientCert' ? !presented : presented && !socket.authorized) socket.destroy();
    });
  }
  return server;
}

/** The express app; the only HTTP glue between the probers and Prometheus. */
function createExporterApp(
  runner: ProbeRunner,
  metrics: ExporterMetrics,
  webConfig: WebConfig | undefined,
  log: (line: string) => void,
  reuseWithinMs: number,
): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');

  if (webConfig && webConfig.headers.length > 0) {
    app.use((_req: Request, res: Response, next: NextFunction) => {
      for (const [name, value] of webConfig.headers) res.set(name, value);
      next();
    });
  }
  // Basic auth on every path (health checks included), as exporter-toolkit does.
  const auth = new BasicAuthChecker(webConfig?.users ?? new Map());
  if (auth.enabled) {
    app.use(async (req: Request, res: Response, next: NextFunction) => {
      const outcome = await auth.authenticate(req.get('authorization'));
      if (outcome.kind === 'ok') {
        next();
        return;
      }
      if (outcome.kind === 'busy') {
        // Answered at once, without a bcrypt comparison: the ones in flight are at the cap (a wrong-password flood).
        res.status(429).set('Retry-After', '1').type('text/plain').send('Too many authentication attempts in progress: retry later\n');
        return;
      }
      res.set('WWW-Authenticate', 'Basic realm="customer-api-exporter", charset="UTF-8"');
      res.status(401).type('text/plain').send('Unauthorized\n');
    });
  }

  app.get('/metrics', async (_req, res) => {
    res.set('Content-Type', metrics.registry.contentType);
    await metrics.writeExposition((chunk) => writeChunk(res, chunk));
    res.end();
  });

  let scrapeProbes = 0;
  let rejectedScrapes = 0;
  app.get('/probe', async (req, res) => {
    const target = typeof req.query.target === 'string' ? req.query.target : '';
    const operation = typeof req.query.operation === 'string' ? req.query.operation : '';
    if (!runner.hasTarget(target)) {
      res
        .status(400)
        .type('text/plain')
        .send(
          `unknown target "${target.slice(0, 64)}": use one of ${runner
            .targets()
            .map((t) => t.name)
            .join(', ')}\n`,
        );
      return;
    }
    if (!isOperationId(operation)) {
      res
        .status(400)
        .type('text/plain')
        .send(
          `unknown operation "${(typeof req.query.operation === 'string' ? req.query.operation : '').slice(0, 64)}": use one of ${operationIds.join(', ')}\n`,
        );
      return;
    }
    if (scrapeProbes >= maxConcurrentScrapeProbes) {
      rejectedScrapes += 1;
      // Once per burst, not once per rejected scrape.
      if (rejectedScrapes === 1) log(`/probe: ${maxConcurrentScrapeProbes} already in flight: answering 503 until they finish`);
      res
        .status(503)
        .set('Retry-After', '1')
        .type('text/plain')
        .send(`too many /probe requests in flight (at most ${maxConcurrentScrapeProbes}): retry later\n`);
      return;
    }
    const timeoutSeconds = probeTimeoutSeconds(req.get('x-prometheus-scrape-timeout-seconds'), runner.settings.timeoutSeconds);
    const lines: string[] = [];
    // The probe's log lines are only shown with debug=true: otherwise none is built (or redacted).
    const probeLog =
      req.query.debug === 'true'
        ? (line: string): void => {
            // A line can hold the target's property names and values: no raw ESC, CR or workflow command reaches the reader.
            lines.push(`${new Date().toISOString()} ${terminalText(line)}`);
          }
        : discardProbeLog;
    probeLog(`probing target=${target} operation=${operation} timeout=${timeoutSeconds} s`);
    scrapeProbes += 1;
    let result: ProbeResult;
    try {
      result = await runner.probe(target, operation, timeoutSeconds * 1000, probeLog, { reuseWithinMs });
    } finally {
      scrapeProbes -= 1;
      if (scrapeProbes === 0) rejectedScrapes = 0;
    }
    const registry = singleProbeRegistry(target, operation, result, Date.now());
    const body = await registry.metrics();
    if (req.query.debug === 'true') {
      res.type('text/plain').send(`Logs for the probe:\n${lines.join('\n')}\n\nMetrics that would have been returned:\n${body}`);
      return;
    }
    res.set('Content-Type', registry.contentType);
    res.send(body);
  });

  const healthy = (_req: Request, res: Response): void => {
    res.type('text/plain').send('ok\n');
  };
  app.get('/healthz', healthy);
  app.get('/-/healthy', healthy);

  const statusInput = (): StatusInput => {
    const nowMs = Date.now();
    const throttles = runner.throttles(nowMs);
    return {
      targets: runner.targets(),
      states: runner.states(),
      throttled: new Map([...throttles].map(([name, t]) => [name, t.untilMs])),
      retryAfterSeconds: new Map([...throttles].map(([name, t]) => [name, t.retryAfterSeconds])),
      intervalSeconds: runner.settings.intervalSeconds,
      nowMs,
    };
  };
  app.get('/', (_req, res) => {
    res.set('Cache-Control', 'no-store');
    res.type('html').send(renderStatusPage(statusInput()));
  });
  app.get('/status.json', (_req, res) => {
    res.set('Cache-Control', 'no-store');
    res.json(buildStatusReport(statusInput()));
  });

  app.use((req: Request, res: Response) => {
    res
      .status(404)
      .type('text/plain')
      .send(`no such page: ${req.method} ${req.path.slice(0, 100)} (try /, /status.json, /metrics, /probe, /healthz)\n`);
  });
  // The one error handler: an exporter fault is a 5xx (a failed probe is not: it is probe_success 0 with 200).
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    process.stderr.write(`exporter: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`);
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(500).type('text/plain').send('exporter error: see the exporter log\n');
  });
  return app;
}

/** Writes a chunk of a response; resolves once its bytes were handed to the kernel (the buffer may be refilled), or the client is gone. */
function writeChunk(res: Response, chunk: Buffer): Promise<void> {
  if (res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('close', done);
      resolve();
    };
    res.once('close', done);
    res.write(chunk, done);
  });
}

/** The probe timeout for an on-scrape request: Prometheus' scrape timeout minus the offset, capped by our own. */
export function probeTimeoutSeconds(header: string | undefined, ownTimeoutSeconds: number): number {
  const scrape = header === undefined ? NaN : Number(header);
  if (!Number.isFinite(scrape) || scrape <= 0) return ownTimeoutSeconds;
  const withOffset = scrape - scrapeTimeoutOffsetSeconds;
  // A scrape timeout of 0.5 s or less leaves no room for the offset: use most of it instead.
  const seconds = Math.min(ownTimeoutSeconds, withOffset > 0 ? withOffset : scrape * 0.9);
  return Math.round(seconds * 1000) / 1000;
}
