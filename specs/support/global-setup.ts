// Run-wide setup: start the embedded simulator (when API_BASE_URL is unset) or check the real target, then the credential relay.
import { exitOnUserError, UserError } from '../../config/errors';
import { authorizationValue, loadTargetConfig, simulatorHandoffVariable, type SimulatorHandoff, type TargetConfig } from '../../config/target';
import { redactText } from '../../config/secret';
import { isSimulatorMode } from '../../simulator/modes';
import { startSimulator } from '../../simulator/server';
import { startCredentialRelay } from './credential-relay';

/** Internal variable through which workers learn the relay's address. */
export const relayVariable = 'CONTRACT_SUITE_RELAY';

export default async function globalSetup(): Promise<() => Promise<void>> {
  try {
    return await setUp();
  } catch (error) {
    // A user mistake (bad config, missing credential, unreachable target) stops the run with one line, not a stack.
    return exitOnUserError(error);
  }
}

async function setUp(): Promise<() => Promise<void>> {
  const stops: Array<() => Promise<void>> = [];
  if (!process.env.API_BASE_URL?.trim()) {
    const mode = process.env.SIMULATOR_MODE?.trim() || 'faithful';
    if (!isSimulatorMode(mode)) throw new UserError(`SIMULATOR_MODE "${mode}" is not a simulator mode: see simulator/modes.ts or \`npm run simulator -- --help\``);
    const simulator = await startSimulator({ mode });
    stops.push(() => simulator.stop());
    const handoff: SimulatorHandoff = { baseUrl: simulator.baseUrl, customers: simulator.customers };
    process.env[simulatorHandoffVariable] = JSON.stringify(handoff);
  }
  const target = loadTargetConfig();
  if (target.kind === 'remote') await preflight(target);
  const relay = await startCredentialRelay(target);
  stops.push(() => relay.stop());
  process.env[relayVariable] = relay.url;
  return async () => {
    for (const stop of stops.reverse()) await stop();
  };
}

/** One request before any test: an unreachable target or a rejected token is one clear error, not a wall of failures. */
async function preflight(target: TargetConfig): Promise<void> {
  const url = `${target.baseUrl}/${encodeURIComponent(target.customerId)}`;
  let status: number;
  try {
    const response = await fetch(url, {
      headers: { authorization: authorizationValue(target.authScheme, target.token), accept: 'application/json' },
      signal: AbortSignal.timeout(10_000),
    });
    status = response.status;
    await response.arrayBuffer();
  } catch (error) {
    const cause = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
    throw new UserError(redactText(`cannot reach API_BASE_URL ${target.baseUrl} (${cause}): check the URL, DNS, VPN or proxy, and that the host serves /v2/integrations`, [target.token]));
  }
  if (status === 401 || status === 403) {
    throw new UserError(`the target answered ${status} to API_TOKEN for API_CUSTOMER_ID ${target.customerId}: the token is invalid or expired (customer tokens last 90 days; mint one with POST ${target.baseUrl}/token) or API_AUTH_SCHEME is wrong`);
  }
  if (status === 404) {
    throw new UserError(`the target answered 404 for API_CUSTOMER_ID ${target.customerId}: set API_CUSTOMER_ID to an existing customer, and check that API_BASE_URL ends with /v2/integrations`);
  }
}
