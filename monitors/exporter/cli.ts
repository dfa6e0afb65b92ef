// `npm run monitor`: the synthetic-probe Prometheus exporter, configured by API_*, PROBE_* and MONITOR_* variables.
import { UserError, exitOnUserError } from '../../config/errors';
import { loadTargetConfig, simulatorHandoffVariable, type SimulatorHandoff } from '../../config/target';
import { startSimulator } from '../../simulator/server';
import { loadExporterSettings, loadTargetsFile, targetFromApiConfig, type ProbeTarget } from './config';
import { startExporter } from './server';

async function main(): Promise<void> {
  const env = process.env;
  const settings = loadExporterSettings(env);
  let targets: ProbeTarget[];
  let onStop: (() => Promise<void>) | undefined;
  let note: string;
  if (settings.targetsFile) {
    targets = loadTargetsFile(settings.targetsFile, env);
    note = `${targets.length} target(s) from ${settings.targetsFile}`;
    if (env.API_BASE_URL?.trim()) note += ' (API_* target not probed: MONITOR_TARGETS_FILE replaces it)';
  } else if (env.API_BASE_URL?.trim()) {
    targets = [targetFromApiConfig(loadTargetConfig(env), env)];
    note = `target "default" from API_BASE_URL`;
  } else {
    // Out of the box: probe the embedded simulator's primary customer, through the same loader as a real target.
    const simulator = await startSimulator();
    const handoff: SimulatorHandoff = { baseUrl: simulator.baseUrl, customers: simulator.customers };
    targets = [targetFromApiConfig(loadTargetConfig({ ...env, [simulatorHandoffVariable]: JSON.stringify(handoff) }), env)];
    onStop = () => simulator.stop();
    note = `API_BASE_URL is not set: probing the embedded simulator at ${simulator.baseUrl}`;
  }
  const exporter = await startExporter({ targets, settings, port: settings.port, host: settings.host, onStop });
  process.stderr.write(
    `customer-api exporter listening on ${settings.host}:${exporter.port} (/, /metrics, /probe, /healthz): ${note}; ` +
      `probing every ${settings.intervalSeconds} s (timeout ${settings.timeoutSeconds} s, jitter ${settings.jitterSeconds} s)\n`,
  );
  const shutdown = (): void => {
    void exporter.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  if (error instanceof Error && 'code' in error && error.code === 'EADDRINUSE') {
    exitOnUserError(new UserError(`MONITOR_PORT is in use: ${error.message}; choose another port`));
  }
  exitOnUserError(error);
});
