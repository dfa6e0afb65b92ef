// The Debian tools some self-tests need, where they live, and the one rule for a missing one: skip locally, fail under CI.
import fs from 'node:fs';
import { test } from '@playwright/test';

/** Each tool by name: its path and the Debian package that installs it (`.ci/run` installs them). */
export const binaries = {
  promtool: { path: '/usr/bin/promtool', aptPackage: 'prometheus' },
  prometheus: { path: '/usr/bin/prometheus', aptPackage: 'prometheus' },
  alertmanager: { path: '/usr/bin/prometheus-alertmanager', aptPackage: 'prometheus-alertmanager' },
  amtool: { path: '/usr/bin/amtool', aptPackage: 'prometheus-alertmanager' },
  chromium: { path: '/usr/bin/chromium', aptPackage: 'chromium' },
} as const satisfies Record<string, { path: string; aptPackage: string }>;

export type BinaryName = keyof typeof binaries;

/**
 * Returns the tool's path; when it is not installed, skips the calling test with the apt-get line that installs it,
 * except under CI (CI set), where a missing tool is a broken pipeline and fails the test.
 */
export function requireBinary(name: BinaryName): string {
  const { path, aptPackage } = binaries[name];
  if (fs.existsSync(path)) return path;
  const hint = `${name} (${path}) is not installed: apt-get install ${aptPackage}`;
  if (process.env.CI) throw new Error(`${hint} (required when CI is set)`);
  test.skip(true, hint);
  return path;
}
