// The exporter's only way to send HTTP: a GET on a fresh connection, with per-phase timings, a deadline and a body cap.
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { TLSSocket, type DetailedPeerCertificate } from 'node:tls';
import { clampDelay } from './delay';

/** Where a probe's time went, in seconds, blackbox_exporter style; each phase is 0 when it never happened. */
export interface PhaseDurations {
  resolve: number;
  connect: number;
  tls: number;
  processing: number;
  transfer: number;
}

export const phaseNames = ['resolve', 'connect', 'tls', 'processing', 'transfer'] as const satisfies ReadonlyArray<keyof PhaseDurations>;

/** How a GET ended without a complete response. */
export type GetFailure =
  | { kind: 'timeout'; stage: GetStage }
  | { kind: 'body-too-large'; limitBytes: number }
  /** The request could not even be built (a bad URL, a header value with a newline): nothing was sent. */
  | { kind: 'invalid-request'; code: string }
  | { kind: 'network'; stage: GetStage; code: string; message: string };

/** What a completed TLS handshake showed, blackbox_exporter style (prober/tls.go). */
export interface TlsDetails {
  /** "TLS 1.3", "TLS 1.2", … ("unknown" for anything else). */
  version: string;
  /** The earliest notAfter in the certificate chain the peer presented, in seconds since the epoch; undefined without one. */
  earliestCertExpirySeconds: number | undefined;
}

/** How far the request got before it ended. */
export type GetStage = 'resolve' | 'connect' | 'tls' | 'request' | 'response-headers' | 'response-body';

export interface GetResult {
  /** The status, when response headers arrived. */
  status: number | undefined;
  headers: http.IncomingHttpHeaders;
  bodyText: string;
  phases: PhaseDurations;
  /** Seconds from sending to the end of the exchange (or the failure): the sum of the phases. */
  totalSeconds: number;
  failure: GetFailure | undefined;
  /** HTTPS only, once the handshake completed (and the peer's certificate was verified), whatever happened after it. */
  tls: TlsDetails | undefined;
}

export interface GetOptions {
  headers: Readonly<Record<string, string>>;
  timeoutMs: number;
  bodyLimitBytes: number;
  /** Aborting ends the request at once (reported as a network failure with code ABORTED). */
  signal?: AbortSignal;
}

class TimeoutAbort extends Error {}
class BodyTooLarge extends Error {}
class Aborted extends Error {}

/**
 * Sends one GET and resolves (never rejects) with what happened. There is deliberately no method parameter:
 * the probes must never be able to send DELETE or anything else to the vendor's API.
 */
export function httpGet(url: string, options: GetOptions): Promise<GetResult> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    return Promise.resolve(notSent(errorCode(error, 'ERR_INVALID_URL')));
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return Promise.resolve(notSent('ERR_INVALID_PROTOCOL'));
  const client = parsed.protocol === 'https:' ? https : http;
  const isTls = parsed.protocol === 'https:';
  const start = performance.now();
  const marks: { lookup?: number; connect?: number; secure?: number; firstByte?: number; end?: number } = {};
  let stage: GetStage = 'resolve';
  const chunks: Buffer[] = [];
  let received = 0;
  let status: number | undefined;
  let headers: http.IncomingHttpHeaders = {};
  let tls: TlsDetails | undefined;

  return new Promise<GetResult>((resolve) => {
    let settled = false;
    const finish = (failure: GetFailure | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const now = performance.now();
      const s = (a: number | undefined, b: number | undefined): number => (a !== undefined && b !== undefined && b >= a ? (b - a) / 1000 : 0);
      const lookup = marks.lookup ?? start;
      const phases: PhaseDurations = {
        resolve: s(start, marks.lookup),
        connect: s(lookup, marks.connect),
        tls: isTls ? s(marks.connect, marks.secure) : 0,
        // Processing runs from the connection being ready to the first byte (writing the request included), so the
        // phases partition the probe: resolve + connect + tls + processing + transfer = the whole exchange.
        processing: s(marks.secure ?? marks.connect ?? lookup, marks.firstByte),
        transfer: s(marks.firstByte, marks.end ?? (failure ? now : undefined)),
      };
      const bodyText = failure ? '' : Buffer.concat(chunks).toString('utf8');
      chunks.length = 0;
      resolve({ status, headers, bodyText, phases, totalSeconds: (now - start) / 1000, failure, tls });
    };

    let request: http.ClientRequest;
    try {
      request = client.request(
        {
          protocol: parsed.protocol,
          hostname: parsed.hostname.replace(/^\[|\]$/g, ''),
          port: parsed.port || undefined,
          path: `${parsed.pathname}${parsed.search}`,
          method: 'GET',
          headers: { ...options.headers, connection: 'close' },
          // A fresh connection per probe, so connect and TLS are measured every time (as blackbox_exporter does).
          agent: false,
        },
        (response) => {
          marks.firstByte = performance.now();
          stage = 'response-body';
          status = response.statusCode;
          headers = response.headers;
          const declared = Number(response.headers['content-length']);
          if (Number.isFinite(declared) && declared > options.bodyLimitBytes) {
            request.destroy(new BodyTooLarge());
            return;
          }
          response.on('data', (chunk: Buffer) => {
            received += chunk.length;
            if (received > options.bodyLimitBytes) {
              chunks.length = 0;
              request.destroy(new BodyTooLarge());
              return;
            }
            chunks.push(chunk);
          });
          response.on('end', () => {
            marks.end = performance.now();
            finish(undefined);
          });
          response.on('aborted', () => finish({ kind: 'network', stage: 'response-body', code: 'ECONNRESET', message: 'response aborted' }));
          response.on('error', (error) => request.destroy(error));
        },
      );
    } catch (error) {
      // http.request throws synchronously for what it refuses to send (ERR_INVALID_CHAR for a header value with a
      // newline, ERR_UNESCAPED_CHARACTERS for a path): only the code is kept, never the message, which could quote a value.
      settled = true;
      resolve(notSent(errorCode(error, 'ERR_INVALID_REQUEST')));
      return;
    }

    request.on('socket', (socket: Socket) => {
      socket.once('lookup', () => {
        marks.lookup = performance.now();
        stage = 'connect';
      });
      socket.once('connect', () => {
        marks.connect = performance.now();
        stage = isTls ? 'tls' : 'request';
      });
      socket.once('secureConnect', () => {
        marks.secure = performance.now();
        stage = 'request';
        if (socket instanceof TLSSocket) tls = tlsDetails(socket);
      });
    });
    request.on('finish', () => {
      if (stage === 'request') stage = 'response-headers';
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (error instanceof TimeoutAbort) finish({ kind: 'timeout', stage });
      else if (error instanceof BodyTooLarge) finish({ kind: 'body-too-large', limitBytes: options.bodyLimitBytes });
      else if (error instanceof Aborted) finish({ kind: 'network', stage, code: 'ABORTED', message: 'the exporter is stopping' });
      else finish({ kind: 'network', stage, code: error.code ?? 'EUNKNOWN', message: error.message });
    });
    const timer = setTimeout(() => request.destroy(new TimeoutAbort()), clampDelay(options.timeoutMs));
    const abort = (): void => {
      request.destroy(new Aborted());
    };
    if (options.signal?.aborted) abort();
    options.signal?.addEventListener('abort', abort, { once: true });
    request.once('close', () => {
      options.signal?.removeEventListener('abort', abort);
      // Safety net: a connection that closes without 'end' or 'error' still settles the probe.
      setImmediate(() => finish({ kind: 'network', stage, code: 'ECLOSED', message: 'connection closed before the response completed' }));
    });
    request.end();
  });
}

/** The result of a request that could not be built: nothing was sent, nothing was measured. */
function notSent(code: string): GetResult {
  return {
    status: undefined,
    headers: {},
    bodyText: '',
    phases: { resolve: 0, connect: 0, tls: 0, processing: 0, transfer: 0 },
    totalSeconds: 0,
    failure: { kind: 'invalid-request', code },
    tls: undefined,
  };
}

const tlsVersionNames: Readonly<Record<string, string>> = { TLSv1: 'TLS 1.0', 'TLSv1.1': 'TLS 1.1', 'TLSv1.2': 'TLS 1.2', 'TLSv1.3': 'TLS 1.3' };

/** The longest chain walked; a real one has 2 to 4 certificates. */
const maxChainLength = 16;

/** The handshake's TLS version and the earliest expiry of the peer's chain (as Node presents it: leaf, intermediates, root). */
function tlsDetails(socket: TLSSocket): TlsDetails {
  const version = tlsVersionNames[socket.getProtocol() ?? ''] ?? 'unknown';
  let earliestMs: number | undefined;
  const seen = new Set<string>();
  try {
    // Node's types say both are always there; a torn-down socket has no certificate and a chain may end without a root.
    let cert = socket.getPeerCertificate(true) as DetailedPeerCertificate | undefined;
    // The chain is linked by issuerCertificate; a self-signed root links to itself.
    while (cert?.valid_to && !seen.has(cert.fingerprint256) && seen.size < maxChainLength) {
      seen.add(cert.fingerprint256);
      const notAfter = certificateTimeMs(cert.valid_to);
      if (notAfter !== undefined && (earliestMs === undefined || notAfter < earliestMs)) earliestMs = notAfter;
      cert = cert.issuerCertificate;
    }
  } catch {
    // A socket torn down mid-handshake has no certificate to read: the version alone is still worth reporting.
  }
  return { version, earliestCertExpirySeconds: earliestMs === undefined ? undefined : earliestMs / 1000 };
}

const certificateTime = /^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4}) GMT$/;
const monthNames = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** OpenSSL's certificate time ("Mar  5 12:00:00 2026 GMT") as ms since the epoch, without Date.parse's guessing. */
export function certificateTimeMs(text: string): number | undefined {
  const m = certificateTime.exec(text);
  if (!m) return undefined;
  return Date.UTC(Number(m[6]), monthNames.indexOf(m[1]!), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]));
}

function errorCode(error: unknown, fallback: string): string {
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  return typeof code === 'string' && /^[A-Z0-9_]{1,64}$/.test(code) ? code : fallback;
}
