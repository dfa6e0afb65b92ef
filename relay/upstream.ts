// The relay's side towards the target: one exchange, never followed, bounded in size and time; the body inflated under the
// same cap; the token scrubbed from everything that goes back. Every failure here is an UpstreamFailure (502), told apart
// from the policy's refusals (relay/errors.ts).
import http from 'node:http';
import type https from 'node:https';
import zlib from 'node:zlib';
import { redactText, type Secret } from '../config/secret';
import { relayErrorHeader } from './protocol';
import { RelayRefusal, UpstreamFailure } from './errors';

/** The default cap on a body, compressed or inflated: 8 MiB. */
export const defaultBodyLimitBytes = 8 * 1024 * 1024;

/** Response headers the relay never passes back: hop-by-hop, the ones it sets itself, and its own marker. */
const droppedResponseHeaders = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'content-length',
  'content-encoding',
  relayErrorHeader,
]);
const httpToken = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

export interface UpstreamAnswer {
  status: number;
  statusMessage: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One request to the target, never followed, bounded in size and time; rejects (never throws) on any failure. */
export function exchange(
  client: typeof http | typeof https,
  agent: http.Agent,
  url: URL,
  method: string,
  headers: http.OutgoingHttpHeaders,
  body: Buffer,
  limit: number,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<UpstreamAnswer> {
  return new Promise<UpstreamAnswer>((resolve, reject) => {
    let settled = false;
    let request: http.ClientRequest | undefined;
    const settle = (error: Error | undefined, answer?: UpstreamAnswer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) {
        request?.destroy();
        reject(error);
      } else if (answer) {
        resolve(answer);
      }
    };
    const timer = setTimeout(() => settle(new UpstreamFailure(`the target gave no complete answer within ${timeoutMs / 1000} s`)), timeoutMs);
    try {
      request = client.request(url, { method, headers, agent, signal }, (answer) => {
        const declared = Number(answer.headers['content-length']);
        if (Number.isFinite(declared) && declared > limit) return settle(tooLarge(limit, 'declared by Content-Length'));
        const parts: Buffer[] = [];
        let size = 0;
        answer.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > limit) return settle(tooLarge(limit, 'as sent'));
          parts.push(chunk);
        });
        answer.on('error', (error) => settle(new UpstreamFailure(`the target's answer broke off: ${error.message}`)));
        answer.on('close', () => {
          if (!answer.complete) settle(new UpstreamFailure("the target's answer broke off before its end"));
        });
        answer.on('end', () =>
          settle(undefined, { status: answer.statusCode ?? 0, statusMessage: answer.statusMessage ?? '', headers: answer.headers, body: Buffer.concat(parts) }),
        );
      });
      request.on('error', (error) => settle(new UpstreamFailure(`cannot reach the target: ${error.message}`)));
      request.end(body);
    } catch (error) {
      settle(new UpstreamFailure(`cannot send to the target: ${error instanceof Error ? error.message : String(error)}`));
    }
  });
}

/** Inflates a body the target compressed although asked for identity, never past the cap. */
export async function decode(body: Buffer, contentEncoding: string | undefined, limit: number): Promise<Buffer> {
  const codings = (contentEncoding ?? '')
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c && c !== 'identity');
  if (codings.length > 2)
    throw new UpstreamFailure(
      `the target's body is encoded ${codings.length} times over (${codings.join(', ').slice(0, 100)}): the relay inflates at most two`,
    );
  let out = body;
  for (const coding of codings.reverse()) {
    const options = { maxOutputLength: limit };
    try {
      if (coding === 'gzip' || coding === 'x-gzip') out = await inflate((cb) => zlib.gunzip(out, options, cb));
      else if (coding === 'br') out = await inflate((cb) => zlib.brotliDecompress(out, options, cb));
      else if (coding === 'deflate') {
        const input = out;
        out = await inflate((cb) => zlib.inflate(input, options, cb)).catch((error: unknown) => {
          if (isTooLarge(error)) throw error;
          return inflate((cb) => zlib.inflateRaw(input, options, cb));
        });
      } else
        throw new UpstreamFailure(`the target's body has Content-Encoding ${JSON.stringify(coding.slice(0, 40))}, which the relay cannot inflate to scrub`);
    } catch (error) {
      if (error instanceof UpstreamFailure) throw error;
      if (isTooLarge(error)) throw tooLarge(limit, `once inflated (${coding})`);
      throw new UpstreamFailure(`the target's ${coding} body does not inflate: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return out;
}

function inflate(run: (callback: (error: Error | null, result: Buffer) => void) => void): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => run((error, result) => (error ? reject(error) : resolve(result))));
}

function isTooLarge(error: unknown): boolean {
  return error instanceof RangeError && (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
}

function tooLarge(limit: number, how: string): UpstreamFailure {
  return new UpstreamFailure(`the target's body exceeded the relay's cap of ${formatBytes(limit)} (CONTRACT_BODY_LIMIT_BYTES) ${how}: the answer was dropped`);
}

function formatBytes(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`;
}

/** A spec's request body, capped like an answer (the specs send none). */
export async function readCapped(req: http.IncomingMessage, limit: number, what: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) throw new RelayRefusal(413, `the ${what} body exceeded the relay's cap of ${formatBytes(limit)}`);
    parts.push(buffer);
  }
  return Buffer.concat(parts);
}

/** The target's headers minus hop-by-hop ones, with every secret redacted from every value (arrays included); a header that no longer validates is dropped. */
export function scrubHeaders(headers: http.IncomingHttpHeaders, secrets: ReadonlyArray<Secret | undefined>): http.OutgoingHttpHeaders {
  const lowered = secrets.map((s) => s?.reveal().toLowerCase());
  const out: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || droppedResponseHeaders.has(name)) continue;
    // Node lower-cases names, so a token in a name is compared lower-cased; such a header is dropped, not renamed.
    if (redactText(name, lowered) !== name || !httpToken.test(name)) continue;
    const clean = Array.isArray(value) ? value.map((v) => redactText(v, secrets)) : redactText(value, secrets);
    try {
      for (const item of Array.isArray(clean) ? clean : [clean]) http.validateHeaderValue(name, item);
      out[name] = clean;
    } catch {
      // An invalid value (the target sent bytes Node would refuse to write) is dropped rather than crash the answer.
    }
  }
  return out;
}

export function headerTexts(headers: http.OutgoingHttpHeaders): string[] {
  return Object.entries(headers).flatMap(([name, value]) => [name, ...(Array.isArray(value) ? value : [String(value)])]);
}

/** Whether any text still holds a secret verbatim: a last check that nothing the redaction missed goes back. */
export function stillHolds(secrets: ReadonlyArray<Secret | undefined>, texts: string[]): boolean {
  return secrets.some((secret) => {
    const value = secret?.reveal();
    return !!value && value.length >= 4 && texts.some((text) => text.includes(value));
  });
}

/** Printable ASCII only: a status text or message that can't break a header line. */
export function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '');
}
