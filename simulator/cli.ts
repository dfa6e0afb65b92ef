// `npm run simulator`: runs the reference simulator as a local stand-in for the API, configured by SIMULATOR_* variables.
import { UserError, exitOnUserError } from '../config/errors';
import { isSimulatorMode, simulatorModeNames, simulatorModes, type SimulatorMode } from './modes';
import { startSimulator, type SimulatorOptions } from './server';

/** The CLI's variables, with what each means and its default. */
const simulatorVariables = {
  SIMULATOR_PORT: 'port to listen on, 0..65535 (0 = any free port); default 4010',
  SIMULATOR_HOST: 'interface to listen on; default 127.0.0.1',
  SIMULATOR_MODE: `behaviour mode, one of ${simulatorModeNames.join(', ')}; default faithful`,
  SIMULATOR_LATENCY_MS: "delay before every response in milliseconds; default 0 (or the mode's default)",
  SIMULATOR_ERROR_RATE: "fraction 0..1 of requests answering 500; default 0 (or the mode's default)",
  SIMULATOR_RATE_LIMIT_PER_MINUTE: 'requests allowed per 60 s before 429; default unlimited',
} as const;

type Env = Readonly<Record<string, string | undefined>>;

// Reads the CLI's options from the environment; throws one UserError naming everything that is wrong.
function loadSimulatorCliOptions(env: Env = process.env): Required<Pick<SimulatorOptions, 'port' | 'host' | 'mode'>> & SimulatorOptions {
  const problems: string[] = [];
  const known = Object.keys(simulatorVariables);
  for (const key of Object.keys(env)) {
    if (key.startsWith('SIMULATOR_') && !known.includes(key)) {
      problems.push(`${key} is not a simulator variable (known: ${known.join(', ')})`);
    }
  }
  const port = integer(env.SIMULATOR_PORT, 'SIMULATOR_PORT', 0, 65_535, problems) ?? 4010;
  const host = env.SIMULATOR_HOST?.trim() || '127.0.0.1';
  const rawMode = env.SIMULATOR_MODE?.trim() || 'faithful';
  let mode: SimulatorMode = 'faithful';
  if (isSimulatorMode(rawMode)) mode = rawMode;
  else problems.push(`SIMULATOR_MODE "${rawMode}" is not a mode: use one of ${simulatorModeNames.join(', ')}`);
  const latencyMs = integer(env.SIMULATOR_LATENCY_MS, 'SIMULATOR_LATENCY_MS', 0, 3_600_000, problems);
  const errorRate = fraction(env.SIMULATOR_ERROR_RATE, 'SIMULATOR_ERROR_RATE', problems);
  const rateLimitPerMinute = integer(env.SIMULATOR_RATE_LIMIT_PER_MINUTE, 'SIMULATOR_RATE_LIMIT_PER_MINUTE', 1, 1_000_000, problems);
  if (problems.length > 0) throw new UserError(problems.join('; '));
  return { port, host, mode, latencyMs, errorRate, rateLimitPerMinute };
}

function integer(raw: string | undefined, key: string, min: number, max: number, problems: string[]): number | undefined {
  const text = raw?.trim();
  if (!text) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    problems.push(`${key} must be a whole number from ${min} to ${max}, not "${raw}"`);
    return undefined;
  }
  return value;
}

function fraction(raw: string | undefined, key: string, problems: string[]): number | undefined {
  const text = raw?.trim();
  if (!text) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    problems.push(`${key} must be a number from 0 to 1 (e.g. 0.25), not "${raw}"`);
    return undefined;
  }
  return value;
}

/** Turns a listen failure into the sentence that says which variable to change. */
function listenProblem(error: unknown, host: string, port: number): unknown {
  const code = error instanceof Error && 'code' in error ? (error as NodeJS.ErrnoException).code : undefined;
  switch (code) {
    case 'EADDRINUSE':
      return new UserError(`port ${port} on ${host} is already in use: set SIMULATOR_PORT to a free port (or 0 for any free port)`);
    case 'EACCES':
      return new UserError(`not allowed to listen on port ${port}: set SIMULATOR_PORT to a port above 1023`);
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new UserError(`cannot listen on host "${host}": set SIMULATOR_HOST to an address of this machine, e.g. 127.0.0.1`);
    default:
      return error;
  }
}

async function main(): Promise<void> {
  const options = loadSimulatorCliOptions();
  const simulator = await startSimulator(options).catch((error: unknown) => {
    throw listenProblem(error, options.host, options.port);
  });
  const lines = [
    `simulator listening: ${simulator.baseUrl}`,
    `mode: ${simulator.mode} (${simulatorModes[simulator.mode].description})`,
    'seeded customers (simulator-only fake tokens, valid only against this process):',
    ...simulator.customers.map((c) => `  ${c.id} (${c.role}): ${c.token}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const shutdown = (signal: NodeJS.Signals): void => {
    simulator.stop().then(
      () => {
        process.stdout.write(`simulator stopped (${signal})\n`);
        process.exit(0);
      },
      (error: unknown) => {
        process.stderr.write(`simulator did not stop cleanly: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error: unknown) => exitOnUserError(error));
