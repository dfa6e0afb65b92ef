// Exporter against prometheus-blackbox-exporter: both driven through /probe at the same rate against the same loopback target; CPU per probe.
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../config/errors';
import {
  blackboxBinary,
  loadAverage,
  processUsage,
  requireBlackbox,
  round,
  sleep,
  spawnProgram,
  stopChild,
  waitForOk,
  withLoad,
  writeBlackboxConfig,
  type LoadedFigure,
  type Figure,
} from './bench-common';
import { spawnBenchTarget } from './bench-target';
import { mainThreadProfile, topCosts } from './cpu-profile';
import { sampleValue } from './exposition';
import { freePort } from './free-port';

export interface BlackboxOptions {
  /** Probes per second sent to each exporter. */
  rate: number;
  /** Seconds measured (after a warm-up of 5 s at the same rate). */
  windowSeconds: number;
  /** Profile our exporter with `node --cpu-prof` and quote its top three costs. */
  profile: boolean;
}

export const defaultBlackboxOptions: BlackboxOptions = { rate: 100, windowSeconds: 20, profile: true };

/**
 * Sends `rate` /probe scrapes a second to each URL for `seconds`, the two interleaved (so both see the same machine),
 * and counts the answers with probe_success 1. Throws when a probe fails: a figure over failing probes means nothing.
 */
async function drive(urls: ReadonlyArray<string>, rate: number, seconds: number): Promise<number[]> {
  const succeeded = urls.map(() => 0);
  const pending = new Set<Promise<void>>();
  const total = Math.round(rate * seconds);
  const started = performance.now();
  let failure: string | undefined;
  for (let i = 0; i < total && !failure; i++) {
    const wait = started + (i * 1000) / rate - performance.now();
    if (wait > 0) await sleep(wait);
    // Never more than 16 scrapes waiting per exporter (ours answers 503 beyond 32): a busy machine lowers the rate, never the count.
    while (pending.size >= 16 * urls.length) await Promise.race(pending);
    urls.forEach((url, index) => {
      const request: Promise<void> = fetch(url)
        .then((response) => response.text())
        .then((text) => {
          if (sampleValue(text, 'probe_success') === 1) succeeded[index]! += 1;
          else failure ??= `a probe failed through ${url}:\n${text.slice(0, 2000)}`;
        })
        .catch((error: unknown) => {
          failure ??= `${url}: ${error instanceof Error ? error.message : String(error)}`;
        })
        .finally(() => pending.delete(request));
      pending.add(request);
    });
  }
  await Promise.all(pending);
  if (failure) throw new UserError(`the blackbox comparison stopped: ${failure}`);
  return succeeded;
}

/** CPU per probe of our exporter and of blackbox_exporter, same target, same header, same rate, same count. */
export async function benchBlackbox(options: BlackboxOptions = defaultBlackboxOptions): Promise<Figure[]> {
  requireBlackbox();
  const section = 'blackbox';
  const token = crypto.randomBytes(16).toString('hex');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-blackbox-'));
  const children: ChildProcess[] = [];
  try {
    const target = await spawnBenchTarget(token);
    children.push(target.child);
    const customerId = 'cust_00001';
    const targetUrl = `${target.baseUrl}/${customerId}`;
    // The nearest blackbox has to our contract check: a regular expression over the body.
    const blackboxConfig = writeBlackboxConfig(dir, token, { headers: { Accept: 'application/json' }, bodyMustMatch: [`"customer_id":"${customerId}"`] });
    const blackboxPort = await freePort();
    const blackbox = spawn(blackboxBinary, [`--config.file=${blackboxConfig}`, `--web.listen-address=127.0.0.1:${blackboxPort}`, '--log.level=error'], {
      stdio: 'ignore',
    });
    children.push(blackbox);
    const startOurs = async (nodeFlags: string[]): Promise<{ exporter: ChildProcess; url: string }> => {
      const exporterPort = await freePort();
      const exporter = spawnProgram(
        'monitors/exporter/cli.ts',
        {
          API_BASE_URL: target.baseUrl,
          API_CUSTOMER_ID: customerId,
          API_TOKEN: token,
          MONITOR_PORT: String(exporterPort),
          MONITOR_HOST: '127.0.0.1',
          // Driven through /probe only: the schedule's two probes a day do not count.
          PROBE_INTERVAL_SECONDS: '86400',
        },
        nodeFlags,
        // Every /probe a real probe: the reuse window would answer most of 100/s from memory.
        ['--probe.reuse-seconds=0'],
      );
      children.push(exporter);
      await waitForOk(`http://127.0.0.1:${exporterPort}/healthz`, 'the exporter', exporter);
      return { exporter, url: `http://127.0.0.1:${exporterPort}/probe?target=default&operation=getCustomer` };
    };
    const { exporter, url: ourUrl } = await startOurs([]);
    await waitForOk(`http://127.0.0.1:${blackboxPort}/-/healthy`, 'blackbox_exporter', blackbox);
    const urls = [ourUrl, `http://127.0.0.1:${blackboxPort}/probe?module=customer_api&target=${encodeURIComponent(targetUrl)}`];
    // Warm-up at the same rate (JIT, first connections, tsx's module transforms all happen before the window).
    await drive(urls, options.rate, 5);
    const pids = [exporter.pid!, blackbox.pid!];
    const before = pids.map((pid) => processUsage(pid).cpuSeconds);
    const began = performance.now();
    const probes = await drive(urls, options.rate, options.windowSeconds);
    const elapsed = (performance.now() - began) / 1000;
    const cpu = pids.map((pid, index) => processUsage(pid).cpuSeconds - before[index]!);
    const rss = pids.map((pid) => processUsage(pid).rssBytes);
    const perProbe = cpu.map((seconds, index) => (seconds / probes[index]!) * 1000);
    const ratio = perProbe[0]! / perProbe[1]!;
    const load = loadAverage();
    const rateText = `${options.rate}/s for ${Math.round(elapsed)} s`;
    const figures: LoadedFigure[] = [
      withLoad(
        {
          section,
          name: `our exporter (node --import tsx, steady state after warm-up): CPU per /probe, ${probes[0]} probes at ${rateText}`,
          value: round(perProbe[0]!, 3),
          unit: `ms (${round((cpu[0]! / elapsed) * 100, 1)} % of a core, RSS ${round(rss[0]! / 2 ** 20, 1)} MiB)`,
        },
        load,
      ),
      withLoad(
        {
          section,
          name: `blackbox_exporter: CPU per /probe, ${probes[1]} probes at ${rateText}, same URL, header and body check`,
          value: round(perProbe[1]!, 3),
          unit: `ms (${round((cpu[1]! / elapsed) * 100, 1)} % of a core, RSS ${round(rss[1]! / 2 ** 20, 1)} MiB)`,
        },
        load,
      ),
      withLoad({ section, name: 'CPU per probe, ours / blackbox_exporter', value: round(ratio, 2), unit: '×', goal: '≤ 1×', met: ratio <= 1 }, load),
    ];
    if (options.profile) {
      // A second exporter, profiled (the profiler's own cost stays out of the figures above), at the same rate.
      await stopChild(exporter, 'SIGINT');
      const profileDir = path.join(dir, 'profile');
      const profiled = await startOurs(['--cpu-prof', `--cpu-prof-dir=${profileDir}`]);
      await drive([profiled.url], options.rate, 5);
      await drive([profiled.url], options.rate, options.windowSeconds);
      await stopChild(profiled.exporter, 'SIGINT');
      const file = mainThreadProfile(profileDir);
      if (file) {
        process.stderr.write('bench blackbox: our exporter under /probe load, top costs by self time (startup included):\n');
        for (const cost of topCosts(file, 12)) process.stderr.write(`  ${(cost.share * 100).toFixed(1).padStart(5)} %  ${cost.where}\n`);
        topCosts(file, 3).forEach((cost, index) =>
          figures.push(
            withLoad({ section, name: `our /probe profile top ${index + 1}: ${cost.where}`, value: round(cost.share * 100, 1), unit: '% of busy CPU' }, load),
          ),
        );
      }
    }
    return figures;
  } finally {
    await Promise.all(children.map((child) => stopChild(child, 'SIGINT')));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const rate = Number(process.argv[2] ?? defaultBlackboxOptions.rate);
  const windowSeconds = Number(process.argv[3] ?? defaultBlackboxOptions.windowSeconds);
  benchBlackbox({ rate, windowSeconds, profile: true }).then(
    () => undefined,
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
