// Throw-away certificates made with openssl, and the simulator served over HTTPS with them, for the TLS tests.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createSimulatorApp, SimulatorState, simulatorBasePath } from '../../simulator/server';

/** A key and certificate openssl wrote into a folder, with their PEM text. */
export interface Certificate {
  keyFile: string;
  certFile: string;
  key: string;
  cert: string;
}

/** What a certificate says: its subject's common name, how many days it lasts, and whether it is for 127.0.0.1 (a server). */
export interface CertificateRequest {
  commonName: string;
  days: number;
  /** Adds subjectAltName IP:127.0.0.1 (what a TLS client checks for a loopback server). */
  loopback?: boolean;
}

/** Runs openssl in `dir`; its output is only for failures. */
export function openssl(dir: string, args: readonly string[]): string {
  return execFileSync('openssl', [...args], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function written(dir: string, name: string): Certificate {
  const keyFile = path.join(dir, `${name}.key`);
  const certFile = path.join(dir, `${name}.crt`);
  return { keyFile, certFile, key: fs.readFileSync(keyFile, 'utf8'), cert: fs.readFileSync(certFile, 'utf8') };
}

/** A self-signed certificate `dir/name.crt` with its key `dir/name.key` (RSA 2048); a CA, or a server that is its own CA. */
export function selfSignedCertificate(dir: string, name: string, request: CertificateRequest): Certificate {
  const san = request.loopback ? ['-addext', 'subjectAltName=IP:127.0.0.1'] : [];
  const subject = ['-subj', `/CN=${request.commonName}`];
  openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
    '-days',
    String(request.days),
    ...subject,
    ...san,
  ]);
  return written(dir, name);
}

/** A certificate `dir/name.crt` that `ca` (a certificate in the same folder) issued, with its key `dir/name.key`. */
export function issuedCertificate(dir: string, name: string, ca: Certificate, request: CertificateRequest): Certificate {
  openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${request.commonName}`]);
  const extFile = path.join(dir, `${name}.ext`);
  fs.writeFileSync(extFile, `${request.loopback ? 'subjectAltName=IP:127.0.0.1\n' : ''}basicConstraints=CA:FALSE\n`);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    ca.certFile,
    '-CAkey',
    ca.keyFile,
    '-CAcreateserial',
    '-out',
    `${name}.crt`,
    '-days',
    String(request.days),
    '-extfile',
    extFile,
  ]);
  return written(dir, name);
}

/** A certificate's notAfter in seconds since the epoch, as openssl itself reads it. */
export function notAfterSeconds(certFile: string): number {
  const iso = /notAfter=(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})Z/.exec(
    openssl(path.dirname(certFile), ['x509', '-noout', '-enddate', '-dateopt', 'iso_8601', '-in', certFile]),
  );
  if (!iso) throw new Error(`no notAfter in ${certFile}`);
  return Date.parse(`${iso[1]}T${iso[2]}Z`) / 1000;
}

/** A simulator served over HTTPS on 127.0.0.1 with this key and certificate (chain). */
export interface HttpsSimulator {
  baseUrl: string;
  state: SimulatorState;
  stop(): Promise<void>;
}

export async function startHttpsSimulator(key: string, cert: string): Promise<HttpsSimulator> {
  const state = new SimulatorState();
  const server = https.createServer({ key, cert }, createSimulatorApp(state));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `https://127.0.0.1:${(server.address() as AddressInfo).port}${simulatorBasePath}`,
    state,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
