// `npm run bench -- --only footprint`: the built exporter's memory and start-up time next to blackbox_exporter's, same target, same /probe rate.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../config/errors';
import { blackboxBinary, requireBlackbox, round, sleep, spawnProgram, stopChild, writeBlackboxConfig, type Figure } from './bench-common';
import { spawnBenchTarget } from './bench-target';
import { sampleValue } from './exposition';
import { freePort } from './free-port';

const repoRoot = path.resolve(__dirname, '..');
const builtCli = path.join(repoRoot, 'dist', 'monitors', 'exporter', 'cli.js');

/** Resident and peak resident memory of a process, from /proc (Linux), in bytes. */
function memory(pid: number): { rss: number; peak: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}

/** Milliseconds from spawn until `url` answers 200 (polled every 10 ms). */
async function startUpMs(url: string, child: ChildProcess, spawnedAt: number, what: string): Promise<number> {
  for (;;) {
    try {
      if ((await fetch(url)).ok) return performance.now() - spawnedAt;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || performance.now() - spawnedAt > 60_000) throw new UserError(`${what} did not start for the benchmark`);
    await sleep(10);
  }
}

/** `rate` /probe scrapes a second to each URL in turn for `seconds`; throws when one fails. */
async function drive(urls: ReadonlyArray<string>, rate: number, seconds: number): Promise<void> {
  const started = performance.now();
  for (let i = 0; i < Math.round(rate * seconds); i++) {
    const wait = started + (i * 1000) / rate - performance.now();
    if (wait > 0) await sleep(wait);
    for (const url of urls) {
      const text = await (await fetch(url)).text();
      if (sampleValue(text, 'probe_success') !== 1) throw new UserError(`a footprint probe failed through ${url}:\n${text.slice(0, 1000)}`);
    }
  }
}

/**
 * The built exporter (`node dist/…/cli.js`, after `npm run build` if dist/ is missing), the same exporter through tsx
 * (`npm run monitor`'s process) and blackbox_exporter, each probing the same loopback target through /probe at the
 * same rate: RSS after the window, peak RSS, and start-up time (spawn to the first 200 on its health endpoint).
 */
export async function benchFootprint(rate = 2, windowSeconds = 20): Promise<Figure[]> {
  requireBlackbox();
  if (!fs.existsSync(builtCli)) execFileSync('npm', ['run', 'build', '--silent'], { cwd: repoRoot, stdio: 'inherit' });
  const section = 'footprint';
  const token = crypto.randomBytes(16).toString('hex');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-footprint-'));
  const children: ChildProcess[] = [];
  try {
    const target = await spawnBenchTarget(token);
    children.push(target.child);
    const customerId = 'cust_00001';
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      API_BASE_URL: target.baseUrl,
      API_CUSTOMER_ID: customerId,
      API_TOKEN: token,
      MONITOR_HOST: '127.0.0.1',
      // Driven through /probe, as blackbox_exporter is; the schedule's probes stay out of the window.
      PROBE_INTERVAL_SECONDS: '86400',
    };
    const blackboxConfig = writeBlackboxConfig(dir, token, { headers: { Accept: 'application/json' }, bodyMustMatch: [`"customer_id":"${customerId}"`] });
    const measured: Array<{ name: string; child: ChildProcess; startUp: number; url: string }> = [];

    const blackboxPort = await freePort();
    let at = performance.now();
    const blackbox = spawn(blackboxBinary, [`--config.file=${blackboxConfig}`, `--web.listen-address=127.0.0.1:${blackboxPort}`, '--log.level=error'], {
      stdio: 'ignore',
    });
    children.push(blackbox);
    measured.push({
      name: 'blackbox_exporter',
      child: blackbox,
      startUp: await startUpMs(`http://127.0.0.1:${blackboxPort}/-/healthy`, blackbox, at, 'blackbox_exporter'),
      url: `http://127.0.0.1:${blackboxPort}/probe?module=customer_api&target=${encodeURIComponent(`${target.baseUrl}/${customerId}`)}`,
    });

    const builtPort = await freePort();
    at = performance.now();
    const built = spawn(process.execPath, [builtCli, '--probe.reuse-seconds=0'], {
      cwd: repoRoot,
      env: { ...env, MONITOR_PORT: String(builtPort) },
      stdio: 'ignore',
    });
    children.push(built);
    measured.push({
      name: 'our exporter, built (node dist/monitors/exporter/cli.js)',
      child: built,
      startUp: await startUpMs(`http://127.0.0.1:${builtPort}/healthz`, built, at, 'the built exporter'),
      url: `http://127.0.0.1:${builtPort}/probe?target=default&operation=getCustomer`,
    });

    const tsxPort = await freePort();
    at = performance.now();
    const viaTsx = spawnProgram('monitors/exporter/cli.ts', { ...env, MONITOR_PORT: String(tsxPort) }, [], ['--probe.reuse-seconds=0']);
    children.push(viaTsx);
    measured.push({
      name: 'our exporter through tsx (npm run monitor)',
      child: viaTsx,
      startUp: await startUpMs(`http://127.0.0.1:${tsxPort}/healthz`, viaTsx, at, 'the exporter through tsx'),
      url: `http://127.0.0.1:${tsxPort}/probe?target=default&operation=getCustomer`,
    });

    await drive(
      measured.map((m) => m.url),
      rate,
      windowSeconds,
    );
    const mib = (bytes: number): number => round(bytes / 2 ** 20, 1);
    const memories = measured.map((m) => memory(m.child.pid!));
    const figures: Figure[] = [];
    measured.forEach((m, i) => {
      figures.push(
        {
          section,
          name: `${m.name}: RSS after ${windowSeconds} s of /probe at ${rate}/s`,
          value: mib(memories[i]!.rss),
          unit: `MiB (peak ${mib(memories[i]!.peak)})`,
        },
        { section, name: `${m.name}: start-up, spawn to first 200`, value: round(m.startUp, 0), unit: 'ms' },
      );
    });
    const ratio = memories[1]!.rss / memories[0]!.rss;
    figures.push({ section, name: 'RSS, built exporter / blackbox_exporter', value: round(ratio, 2), unit: '×', goal: '≤ 2.5×', met: ratio <= 2.5 });
    figures.push({ section, name: 'RSS, exporter through tsx / blackbox_exporter', value: round(memories[2]!.rss / memories[0]!.rss, 2), unit: '×' });
    return figures;
  } finally {
    await Promise.all(children.map((child) => stopChild(child, 'SIGTERM')));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  benchFootprint(Number(process.argv[2] ?? 2), Number(process.argv[3] ?? 20)).then(
    (figures) => {
      for (const f of figures) process.stdout.write(`${f.name}: ${f.value} ${f.unit}${f.goal ? ` (goal ${f.goal}: ${f.met ? 'met' : 'missed'})` : ''}\n`);
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
