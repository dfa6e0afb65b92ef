// What global setup hands the workers: the relay's address and key, and the target without its tokens (workers never load a token).
import type { TargetConfig } from '../../config/target';

/** Internal variable through which workers learn the relay's address. */
export const relayVariable = 'CONTRACT_SUITE_RELAY';
/** Internal variable through which workers learn the run's relay key; the relay refuses any request without it. */
export const relayKeyVariable = 'CONTRACT_SUITE_RELAY_KEY';
/** Internal variable through which workers learn the target, ids and switches only. */
export const targetViewVariable = 'CONTRACT_SUITE_TARGET';

/** The target as the specs see it: where the relay sends, which ids, which switches; no token. */
export interface TargetView {
  kind: TargetConfig['kind'];
  customerId: string;
  missingCustomerId: string;
  otherCustomerId: string | undefined;
  deleteCustomerId: string | undefined;
  readOnly: boolean;
  allowDelete: boolean;
  /** The Authorization scheme the relay uses (`none`: the raw token), for reproductions. */
  authScheme: string;
  /** Which target, for the reports' headline: a real target's origin, or the embedded simulator's mode. */
  name?: string;
}

/** What the workers need from the run. */
export interface RunHandoff {
  relayUrl: string;
  relayKey: string;
  target: TargetView;
}

/** The target without its tokens. */
export function targetView(target: TargetConfig): TargetView {
  return {
    kind: target.kind,
    customerId: target.customerId,
    missingCustomerId: target.missingCustomerId,
    otherCustomerId: target.otherCustomerId,
    deleteCustomerId: target.deleteCustomerId,
    readOnly: target.readOnly,
    allowDelete: target.allowDelete,
    authScheme: target.authScheme,
    name: target.kind === 'remote' ? new URL(target.baseUrl).origin : process.env.SIMULATOR_MODE?.trim() || 'faithful',
  };
}

/** The variables global setup sets for the workers (they inherit them). */
export function handoffVariables(handoff: RunHandoff): Record<string, string> {
  return { [relayVariable]: handoff.relayUrl, [relayKeyVariable]: handoff.relayKey, [targetViewVariable]: JSON.stringify(handoff.target) };
}

/**
 * The run's target as global setup handed it over, or undefined before global setup (`playwright test --list`): what a
 * describe-level skip reads when its file loads. A skip modifier taking the `target` fixture would instead set up and tear
 * down the test's fixtures once per test and modifier.
 */
export function handedOverTarget(env: Readonly<Record<string, string | undefined>> = process.env): TargetView | undefined {
  return env[relayVariable] && env[relayKeyVariable] && env[targetViewVariable] ? readRunHandoff(env).target : undefined;
}

/** Reads the handoff in a worker; throws when the specs were not started through playwright.config.ts. */
export function readRunHandoff(env: Readonly<Record<string, string | undefined>> = process.env): RunHandoff {
  const relayUrl = env[relayVariable];
  const relayKey = env[relayKeyVariable];
  const target = env[targetViewVariable];
  if (!relayUrl || !relayKey || !target) {
    throw new Error(
      `${relayVariable}, ${relayKeyVariable} and ${targetViewVariable} are not set: run the specs through playwright.config.ts, whose global setup starts the credential relay`,
    );
  }
  return { relayUrl, relayKey, target: JSON.parse(target) as TargetView };
}
