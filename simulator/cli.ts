// `npm run simulator`: runs the reference simulator as a local stand-in for the API, configured by SIMULATOR_* variables.
import { UserError, exitOnUserError } from '../config/errors';
import { flagSetting, numberSetting, simulatorDefaults, simulatorLimits, simulatorVariables, unknownVariableProblems, type Env } from '../config/settings';
import { parseSimulatorMode, simulatorModeNames, simulatorModes } from './modes';
import { startSimulator, type SimulatorOptions } from './server';

/** The CLI's settings: where to listen, and the simulator's own options. */
type SimulatorCliOptions = Required<Pick<SimulatorOptions, 'port' | 'host' | 'mode'>> & SimulatorOptions;

// Reads the CLI's options from the environment the one settings way; throws one UserError naming everything that is wrong.
function loadSimulatorCliOptions(env: Env = process.env): SimulatorCliOptions {
  const problems = unknownVariableProblems(env, { prefixes: ['SIMULATOR_'], owner: "the simulator's" });
  const port = numberSetting(env.SIMULATOR_PORT, 'SIMULATOR_PORT', simulatorLimits.port, problems) ?? simulatorDefaults.port;
  const host = env.SIMULATOR_HOST?.trim() || simulatorDefaults.host;
  let mode: SimulatorCliOptions['mode'] = 'faithful';
  try {
    mode = parseSimulatorMode(env.SIMULATOR_MODE);
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    problems.push(error.message);
  }
  const latencyMs = numberSetting(env.SIMULATOR_LATENCY_MS, 'SIMULATOR_LATENCY_MS', simulatorLimits.latencyMs, problems);
  const errorRate = numberSetting(env.SIMULATOR_ERROR_RATE, 'SIMULATOR_ERROR_RATE', simulatorLimits.errorRate, problems);
  const rateLimitPerMinute = numberSetting(
    env.SIMULATOR_RATE_LIMIT_PER_MINUTE,
    'SIMULATOR_RATE_LIMIT_PER_MINUTE',
    simulatorLimits.rateLimitPerMinute,
    problems,
  );
  const admin = flagSetting(env.SIMULATOR_ADMIN, 'SIMULATOR_ADMIN', problems);
  if (problems.length > 0) throw new UserError(problems.join('; '));
  return { port, host, mode, latencyMs, errorRate, rateLimitPerMinute, admin };
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

const simulatorUsage = (): string => {
  const width = Math.max(...Object.keys(simulatorVariables).map((key) => key.length));
  const modeWidth = Math.max(...simulatorModeNames.map((mode) => mode.length));
  return [
    'Usage: npm run simulator [-- --help]',
    '',
    'Runs the reference simulator of the Customer Management API until SIGINT/SIGTERM, and prints its',
    'base URL, mode and seeded customers with their (fake, simulator-only) tokens. It takes no arguments:',
    'it is configured by environment variables.',
    '',
    'Options:',
    '  -h, --help  print this help and exit',
    '',
    'Environment:',
    ...Object.entries(simulatorVariables).map(([key, meaning]) => `  ${key.padEnd(width)}  ${meaning}`),
    '',
    'Modes (SIMULATOR_MODE):',
    ...simulatorModeNames.map((mode) => `  ${mode.padEnd(modeWidth)}  ${simulatorModes[mode].description}`),
    '',
    'Example: SIMULATOR_MODE=retyped-field SIMULATOR_PORT=4011 npm run simulator',
    '',
  ].join('\n');
};

/** `--help` prints the usage; anything else on the command line is a mistake (the simulator is configured by environment). */
function handleArguments(args: readonly string[]): 'help' | 'run' {
  if (args.includes('--help') || args.includes('-h')) return 'help';
  const first = args[0];
  if (first !== undefined) {
    const hint = first.startsWith('-') ? `unknown option "${first}"` : `unexpected argument "${first}"`;
    throw new UserError(`${hint}: the simulator takes no arguments, only SIMULATOR_* variables (npm run simulator -- --help lists them)`);
  }
  return 'run';
}

async function main(): Promise<void> {
  if (handleArguments(process.argv.slice(2)) === 'help') {
    process.stdout.write(simulatorUsage());
    return;
  }
  const options = loadSimulatorCliOptions();
  const simulator = await startSimulator(options).catch((error: unknown) => {
    throw listenProblem(error, options.host, options.port);
  });
  const lines = [
    `simulator listening: ${simulator.baseUrl}`,
    `mode: ${simulator.mode} (${simulatorModes[simulator.mode].description})`,
    ...(options.admin ? [`switch modes from this machine: curl -X POST ${new URL(simulator.baseUrl).origin}/admin/mode -d mode=NAME`] : []),
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
