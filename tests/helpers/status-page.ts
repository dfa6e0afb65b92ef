// The status-page tests' common ground: the three targets they watch, real headless Chromium, and a row of the page.
import { chromium, type Browser, type Locator, type Page } from '@playwright/test';
import type { ProbeTarget } from '../../monitors/exporter/config';
import type { RunningSimulator } from '../../simulator/server';
import { simulatorTarget } from './monitor-harness';

/** mum1 (a healthy simulator), sg1 (the simulator whose failure or recovery a test watches), expired (a token every API refuses). */
export function statusTargets(healthy: RunningSimulator, sg1: RunningSimulator): ProbeTarget[] {
  return [
    simulatorTarget(healthy, { name: 'mum1' }),
    simulatorTarget(sg1, { name: 'sg1' }),
    simulatorTarget(healthy, { name: 'expired', token: 'an-expired-token-0000' }),
  ];
}

/** Chromium at `executablePath` (from requireBinary('chromium'), called before anything starts), headless. */
export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** The page's row of one target×operation. */
export function statusRow(page: Page, target: string, operation: string): Locator {
  return page.locator(`tr[data-target="${target}"][data-operation="${operation}"]`);
}
