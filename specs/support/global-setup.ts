// Run-wide setup: start the embedded simulator (when API_BASE_URL is unset) or check the real target, then the credential relay.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { exitOnUserError, UserError } from '../../config/errors';
import { authorizationValue, loadTargetConfig, simulatorHandoffVariable, type SimulatorHandoff, type TargetConfig } from '../../config/target';
import { redactText } from '../../config/secret';
import { loadBudgetSettings, loadGateSettings } from '../../config/settings';
import { parseSimulatorMode } from '../../simulator/modes';
import { startSimulator } from '../../simulator/server';
import { RequestBudget } from '../../relay/budget';
import { startCredentialRelay } from '../../relay/server';
import { handoffVariables, targetView } from './run-handoff';

export default async function globalSetup(): Promise<() => Promise<void>> {
  try {
    return await setUp();
  } catch (error) {
    // A user mistake (bad config, missing credential, unreachable target) stops the run with one line, not a stack.
    return exitOnUserError(error);
  }
}

/**
 * The variables that hold a token or say where one is: only the runner (global setup, the relay) reads them. They leave
 * process.env before any worker starts, so no worker, and nothing a spec spawns, inherits them; teardown puts them back.
 */
export const tokenVariables = ['API_TOKEN', 'API_TOKEN_FILE', 'API_DELETE_TOKEN', 'API_DELETE_TOKEN_FILE', simulatorHandoffVariable] as const;

async function setUp(): Promise<() => Promise<void>> {
  const stops: Array<() => Promise<void>> = [];
  const budgetSettings = loadBudgetSettings();
  if (budgetSettings.deprecation) process.stderr.write(`${budgetSettings.deprecation}\n`);
  if (!process.env.API_BASE_URL?.trim()) {
    const simulator = await startSimulator({ mode: parseSimulatorMode(process.env.SIMULATOR_MODE) });
    stops.push(() => simulator.stop());
    const handoff: SimulatorHandoff = { baseUrl: simulator.baseUrl, customers: simulator.customers };
    process.env[simulatorHandoffVariable] = JSON.stringify(handoff);
  }
  const target = loadTargetConfig();
  stops.push(withoutTokenVariables());
  // One budget for the whole run (the embedded simulator has none): the preflight spends from it, then every request the
  // relay sends, from every worker.
  const budget =
    target.kind === 'remote'
      ? new RequestBudget({ perMinute: budgetSettings.perMinute, minIntervalMs: budgetSettings.maxRps ? 1000 / budgetSettings.maxRps : 0 })
      : undefined;
  if (target.kind === 'remote') {
    budget?.reserve(Date.now());
    await preflight(target);
  }
  // A fresh secret per run: only this process and the workers it spawns (which inherit the variable) know it.
  const key = crypto.randomBytes(32).toString('base64url');
  const settings = loadGateSettings();
  const relay = await startCredentialRelay(target, { key, bodyLimitBytes: settings.bodyLimitBytes, ...(budget ? { budget } : {}) });
  stops.push(async () => {
    // How many requests the run sent to the target, by method: the load a gate puts on an API (and the bench's floor).
    const traffic = { target: target.kind, ...relay.sent() };
    fs.mkdirSync(settings.reportsDir, { recursive: true });
    fs.writeFileSync(path.join(settings.reportsDir, 'requests.json'), `${JSON.stringify(traffic, null, 2)}\n`);
    await relay.stop();
  });
  // The workers get the relay and the target's ids, never a token: the relay alone holds the tokens.
  Object.assign(process.env, handoffVariables({ relayUrl: relay.url, relayKey: key, target: targetView(target) }));
  return async () => {
    for (const stop of stops.reverse()) await stop();
  };
}

/** Takes the token variables out of process.env (workers are spawned from it after global setup); the returned stop puts them back. */
function withoutTokenVariables(): () => Promise<void> {
  const saved = new Map<string, string>();
  for (const name of tokenVariables) {
    const value = process.env[name];
    if (value !== undefined) saved.set(name, value);
    Reflect.deleteProperty(process.env, name);
  }
  return () => {
    for (const [name, value] of saved) process.env[name] = value;
    return Promise.resolve();
  };
}

/**
 * One request before any test: an unreachable target, a redirect or a rejected token is one clear error, not a wall of
 * failures. It never follows a redirect (the token would go wherever the target pointed) and never reads the body.
 */
async function preflight(target: TargetConfig): Promise<void> {
  const url = `${target.baseUrl}/${encodeURIComponent(target.customerId)}`;
  let status: number;
  let location: string | null;
  try {
    const response = await fetch(url, {
      headers: { authorization: authorizationValue(target.authScheme, target.token), accept: 'application/json', 'accept-encoding': 'identity' },
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
    });
    status = response.status;
    location = response.headers.get('location');
    // Only the status matters: an endless or compressed body is never read.
    await response.body?.cancel().catch(() => undefined);
  } catch (error) {
    const cause = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
    throw new UserError(
      redactText(`cannot reach API_BASE_URL ${target.baseUrl} (${cause}): check the URL, DNS, VPN or proxy, and that the host serves /v2/integrations`, [
        target.token,
      ]),
    );
  }
  if (status >= 300 && status < 400) {
    throw new UserError(
      redactText(
        `the target answered ${status} to GET ${target.baseUrl}/${target.customerId}, redirecting to ${redirectOrigin(location, url)}: the suite never follows redirects (the token would go with them), so set API_BASE_URL to the URL that answers directly`,
        [target.token],
      ),
    );
  }
  if (status === 401 || status === 403) {
    throw new UserError(
      `the target answered ${status} to API_TOKEN for API_CUSTOMER_ID ${target.customerId}: the token is invalid or expired (customer tokens last 90 days; mint one with POST ${target.baseUrl}/token) or API_AUTH_SCHEME is wrong`,
    );
  }
  if (status === 404) {
    throw new UserError(
      `the target answered 404 for API_CUSTOMER_ID ${target.customerId}: set API_CUSTOMER_ID to an existing customer, and check that API_BASE_URL ends with /v2/integrations`,
    );
  }
}

/** The origin a Location header points at (only the origin: its path or query could carry anything). */
function redirectOrigin(location: string | null, from: string): string {
  if (!location) return '(no Location header)';
  try {
    const resolved = new URL(location, from);
    return resolved.origin === 'null' ? `a ${resolved.protocol} URL` : resolved.origin;
  } catch {
    return '(an unparsable Location header)';
  }
}
