#!/usr/bin/env node
// `npm run monitor`: the synthetic-probe Prometheus exporter, configured by API_*, PROBE_* and MONITOR_* variables and a few flags.
import { parseArgs } from 'node:util';
import { UserError, exitOnUserError } from '../../config/errors';
import { baseTargetVariableNames, exporterVariables, flagSetting, simulatorVariables, targetVariables, type Env } from '../../config/settings';
import { loadBaseTarget, simulatorHandoffVariable, type SimulatorHandoff } from '../../config/target';
import { parseSimulatorMode, type SimulatorMode } from '../../simulator/modes';
import { loadExporterSettings, loadTargetsFile, targetFromApiConfig, type ProbeTarget } from './config';
import { startExporter } from './server';

/** The command-line flags, Prometheus-exporter style; each has a variable too, except --help. */
const flags = {
  'web.config.file': { meaning: 'exporter-toolkit web config YAML (TLS, basic auth); same as MONITOR_WEB_CONFIG_FILE' },
  'probe.reuse-seconds': {
    meaning:
      '/probe answers a result of the same target×operation younger than this instead of calling the API again (default: 10, or the probe interval if shorter; 0 = never reuse)',
  },
  'log.failures': { meaning: 'json: write each failed probe as one JSON line on stdout (request path, status, phases, redacted body excerpt)' },
  help: { meaning: 'print this help and exit' },
} as const;

interface CliFlags {
  help: boolean;
  webConfigFile: string | undefined;
  probeReuseSeconds: number | undefined;
  logFailures: 'json' | undefined;
}

function usage(): string {
  const rows = (entries: ReadonlyArray<readonly [string, string]>): string[] => {
    const width = Math.max(...entries.map(([name]) => name.length));
    return entries.map(([name, meaning]) => `  ${name.padEnd(width)}  ${meaning}`);
  };
  return [
    'usage: npm run monitor [-- --web.config.file=PATH] [-- --probe.reuse-seconds=N] [-- --log.failures=json] [-- --help]',
    '',
    'Probes GET /{customer_id} and GET /{customer_id}/usage of each target on a schedule and serves Prometheus',
    'metrics on /metrics, on-scrape probes on /probe, /healthz and a status page on /. Only GETs are ever sent.',
    '',
    'Flags:',
    ...rows([
      ['--web.config.file=PATH', flags['web.config.file'].meaning],
      ['--probe.reuse-seconds=N', flags['probe.reuse-seconds'].meaning],
      ['--log.failures=json', flags['log.failures'].meaning],
      ['-h, --help', flags.help.meaning],
    ]),
    '',
    'Target (unset API_BASE_URL: the embedded simulator is started and probed):',
    ...rows(baseTargetVariableNames.map((name) => [name, targetVariables[name]] as const)),
    '',
    'Exporter:',
    ...rows(Object.entries(exporterVariables)),
    '',
    'Embedded simulator (API_BASE_URL and MONITOR_TARGETS_FILE unset):',
    ...rows(embeddedSimulatorVariables.map((name) => [name, simulatorVariables[name]] as const)),
    '',
    'A bad setting stops startup with one line on stderr and exit code 2.',
    '',
  ].join('\n');
}

/** The flags; an unknown flag, a stray argument or a flag without its value is a UserError. */
function parseCliFlags(args: string[]): CliFlags {
  const { tokens } = parseArgs({
    args,
    options: {
      'web.config.file': { type: 'string' },
      'probe.reuse-seconds': { type: 'string' },
      'log.failures': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const hint = 'see `npm run monitor -- --help`';
  let help = false;
  let webConfigFile: string | undefined;
  let probeReuseSeconds: number | undefined;
  let logFailures: 'json' | undefined;
  for (const token of tokens) {
    if (token.kind === 'positional') throw new UserError(`unexpected argument ${JSON.stringify(token.value)}: ${hint}`);
    if (token.kind !== 'option') continue;
    if (token.name === 'help') {
      if (token.value !== undefined) throw new UserError(`${token.rawName} takes no value: ${hint}`);
      help = true;
    } else if (token.name === 'web.config.file') {
      const value = token.value?.trim();
      if (!value) throw new UserError(`${token.rawName} needs a path, e.g. --web.config.file=web-config.yml`);
      webConfigFile = value;
    } else if (token.name === 'probe.reuse-seconds') {
      const value = token.value?.trim() ?? '';
      const seconds = /^\d+(\.\d+)?$/.test(value) ? Number(value) : NaN;
      if (!(seconds >= 0 && seconds <= 86_400))
        throw new UserError(`${token.rawName} needs a number of seconds from 0 to 86400, e.g. --probe.reuse-seconds=10`);
      probeReuseSeconds = seconds;
    } else if (token.name === 'log.failures') {
      if (token.value?.trim() !== 'json') throw new UserError(`${token.rawName} takes one value, json: --log.failures=json`);
      logFailures = 'json';
    } else {
      throw new UserError(`unknown flag ${token.rawName}: ${hint}`);
    }
  }
  return { help, webConfigFile, probeReuseSeconds, logFailures };
}

/** The simulator variables the embedded simulator honours; the others (port, host, latency …) are the standalone CLI's. */
const embeddedSimulatorVariables = ['SIMULATOR_MODE', 'SIMULATOR_ADMIN'] as const;

/** SIMULATOR_MODE (by the simulator's own parser) and SIMULATOR_ADMIN, checked whether or not the simulator is used. */
function embeddedSimulatorSettings(env: Env): { mode: SimulatorMode; admin: boolean } {
  const problems: string[] = [];
  let mode: SimulatorMode = 'faithful';
  try {
    mode = parseSimulatorMode(env.SIMULATOR_MODE);
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    problems.push(error.message);
  }
  const admin = flagSetting(env.SIMULATOR_ADMIN, 'SIMULATOR_ADMIN', problems);
  if (problems.length > 0) throw new UserError(problems.join('; '));
  return { mode, admin };
}

/** Turns a listen failure into the sentence that says which variable to change; anything else is returned as it is. */
function listenProblem(error: unknown, host: string, port: number): unknown {
  const code = error instanceof Error && 'code' in error ? (error as NodeJS.ErrnoException).code : undefined;
  switch (code) {
    case 'EADDRINUSE':
      return new UserError(`MONITOR_PORT ${port} on ${host} is in use: choose another port (or 0 for any free port)`);
    case 'EACCES':
      return new UserError(`MONITOR_PORT ${port} needs privileges to listen on: choose a port above 1023`);
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
    case 'EAI_FAIL':
    case 'EINVAL':
      return new UserError(
        `MONITOR_HOST ${JSON.stringify(host)} is not an address of this machine (${code}): set MONITOR_HOST to one of its addresses, e.g. 127.0.0.1, or 0.0.0.0 for all of them`,
      );
    default:
      return error;
  }
}

async function main(): Promise<void> {
  const cli = parseCliFlags(process.argv.slice(2));
  if (cli.help) {
    process.stdout.write(usage());
    return;
  }
  const env = process.env;
  const settings = loadExporterSettings(env);
  if (cli.webConfigFile && settings.webConfigFile && cli.webConfigFile !== settings.webConfigFile) {
    throw new UserError('--web.config.file and MONITOR_WEB_CONFIG_FILE name different files: give one of them');
  }
  // startExporter loads and checks it (one line naming file and key on a mistake).
  const webConfigFile = cli.webConfigFile ?? settings.webConfigFile;
  const simulatorSettings = embeddedSimulatorSettings(env);
  const simulatorVariablesSet = embeddedSimulatorVariables.filter((name) => env[name]?.trim());
  let targets: ProbeTarget[];
  let onStop: (() => Promise<void>) | undefined;
  let note: string;
  // Only the base target loader: the exporter sends GETs, so the gate's DELETE rules (API_ALLOW_DELETE …) are not its business.
  if (settings.targetsFile) {
    targets = loadTargetsFile(settings.targetsFile, env);
    note = `${targets.length} target(s) from ${settings.targetsFile}`;
    if (env.API_BASE_URL?.trim()) note += ' (API_* target not probed: MONITOR_TARGETS_FILE replaces it)';
    if (simulatorVariablesSet.length > 0) note += ` (${simulatorVariablesSet.join(', ')} ignored: no embedded simulator with MONITOR_TARGETS_FILE)`;
  } else if (env.API_BASE_URL?.trim()) {
    targets = [targetFromApiConfig(loadBaseTarget(env))];
    note = `target "default" from API_BASE_URL`;
    if (simulatorVariablesSet.length > 0) note += ` (${simulatorVariablesSet.join(', ')} ignored: no embedded simulator with API_BASE_URL)`;
  } else {
    // Out of the box: probe the embedded simulator's primary customer, through the same loader as a real target.
    // Loaded only here: a process probing a real API never holds the simulator's modules.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { startSimulator } = require('../../simulator/server') as typeof import('../../simulator/server');
    const simulator = await startSimulator({ mode: simulatorSettings.mode, admin: simulatorSettings.admin });
    const handoff: SimulatorHandoff = { baseUrl: simulator.baseUrl, customers: simulator.customers };
    onStop = () => simulator.stop();
    try {
      targets = [targetFromApiConfig(loadBaseTarget({ ...env, [simulatorHandoffVariable]: JSON.stringify(handoff) }))];
    } catch (error) {
      await simulator.stop();
      throw error;
    }
    const origin = new URL(simulator.baseUrl).origin;
    note =
      `API_BASE_URL is not set: probing the embedded simulator at ${simulator.baseUrl} (SIMULATOR_MODE ${simulator.mode}; ` +
      (simulatorSettings.admin
        ? `switch modes with: curl -X POST ${origin}/admin/mode -d mode=NAME)`
        : 'SIMULATOR_ADMIN=1 lets you switch modes at run time with POST /admin/mode)');
  }
  const exporter = await startExporter({
    targets,
    settings,
    port: settings.port,
    host: settings.host,
    onStop,
    webConfigFile,
    probeReuseSeconds: cli.probeReuseSeconds,
    failureLog: cli.logFailures === 'json' ? (line: string) => process.stdout.write(`${line}\n`) : undefined,
  }).catch(async (error: unknown) => {
    await onStop?.();
    throw listenProblem(error, settings.host, settings.port);
  });
  process.stderr.write(
    `customer-api exporter listening on ${settings.host}:${exporter.port} (/, /status.json, /metrics, /probe, /healthz): ${note}; ` +
      `probing every ${settings.intervalSeconds} s (timeout ${settings.timeoutSeconds} s, jitter ${settings.jitterSeconds} s)\n`,
  );
  installShutdown(() => exporter.stop());
}

/** How long a graceful stop may take before the process exits anyway. */
const shutdownGraceMs = 10_000;

/**
 * Graceful shutdown on SIGTERM and SIGINT whoever sends them (systemd, Kubernetes, Ctrl-C, `kill` on npm's PID): stop
 * probing, close the listener and connections, exit 0; a second signal, or a stop taking over 10 s, exits at once.
 * Under npm (`npm run monitor`, `npm start`), the exporter also stops when its parent goes away, so killing npm's PID
 * (even with SIGKILL) never leaves it running as an orphan.
 */
function installShutdown(stop: () => Promise<void>): void {
  let stopping = false;
  const shutdown = (why: string): void => {
    if (stopping) process.exit(0);
    stopping = true;
    process.stderr.write(`customer-api exporter: ${why}: stopping\n`);
    setTimeout(() => process.exit(0), shutdownGraceMs).unref();
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => shutdown(signal));
  if (process.env.npm_lifecycle_event) {
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid !== parent) shutdown('npm, its parent, is gone');
    }, 1000).unref();
  }
}

main().catch((error: unknown) => exitOnUserError(error));
