// The status page remembers: history bar, failing/healthy since, last success, 1 h / 24 h ratios and the contract break, in Chromium and /status.json.
import fs from 'node:fs';
import { expect, test } from '@playwright/test';
import { ProbeHistory, recentResultsKept } from '../monitors/exporter/history';
import { unsentFailure, type ProbeResult } from '../monitors/exporter/probers';
import type { ProbeStatus, StatusReport } from '../monitors/exporter/status-page';
import { startSimulator } from '../simulator/server';
import { requireBinary } from './helpers/binaries';
import { eventually, startQuietExporter } from './helpers/monitor-harness';
import { launchChromium, statusRow, statusTargets } from './helpers/status-page';

/** A successful result, for the history's own tests. */
function success(): ProbeResult {
  return { ...unsentFailure('other', 'HTTP 200 matches the contract'), success: true, reason: undefined, statusCode: 200, durationSeconds: 0.012, sent: true };
}

test.describe('ProbeHistory (a synthetic clock)', () => {
  const t0 = Date.UTC(2025, 0, 1, 0, 0, 0);
  const minute = 60_000;

  test(`keeps the last ${recentResultsKept} results in order, and when the current streak began`, () => {
    const history = new ProbeHistory();
    expect(history.streak(), 'no streak before the first probe').toBeUndefined();
    for (let i = 0; i < 100; i++) history.record(i >= 70 && i < 90 ? unsentFailure('timeout', 'no answer') : success(), t0 + i * 1000);
    const recent = history.recent();
    expect(recent, 'bounded').toHaveLength(recentResultsKept);
    expect(
      recent.map((r) => r.atMs),
      'oldest first, the newest last',
    ).toEqual(Array.from({ length: recentResultsKept }, (_, i) => t0 + (40 + i) * 1000));
    expect(recent.filter((r) => !r.success)).toHaveLength(20);
    expect(history.streak(), 'healthy since the first success after the failures').toEqual({ success: true, sinceMs: t0 + 90_000 });
    expect(history.lastSuccessAtMs()).toBe(t0 + 99_000);
    expect(history.lastFailure(), 'the last failure is remembered after recovery').toMatchObject({ atMs: t0 + 89_000, reason: 'timeout', detail: 'no answer' });

    history.record(unsentFailure('connect', 'refused'), t0 + 100_000);
    history.record(unsentFailure('connect', 'refused'), t0 + 101_000);
    expect(history.streak(), 'failing since the first failure of the run').toEqual({ success: false, sinceMs: t0 + 100_000 });
  });

  test('counts successes per minute for 24 hours: the last hour and the last day, nothing older', () => {
    const history = new ProbeHistory();
    // 26 hours, two probes a minute; the probe at :30 of every minute in the last 90 minutes fails.
    const end = t0 + 26 * 60 * minute;
    for (let at = t0; at < end; at += 30_000) {
      const failing = at >= end - 90 * minute && at % minute !== 0;
      history.record(failing ? unsentFailure('http_5xx', 'HTTP 500') : success(), at);
    }
    const now = end - 1;
    expect(history.counts(60, now), 'last hour: 60 minutes, half of its probes failed').toMatchObject({ probes: 120, successes: 60 });
    expect(history.counts(24 * 60, now), 'last day: 1440 minutes, 90 of them half failed').toMatchObject({ probes: 2880, successes: 2880 - 90 });
    expect(history.counts(7 * 24 * 60, now), 'never more than the 24 h kept').toEqual(history.counts(24 * 60, now));
    // Two hours later with no probes: the hour is empty, the day has lost two hours.
    expect(history.counts(60, now + 120 * minute)).toMatchObject({ probes: 0, successes: 0 });
    expect(history.counts(24 * 60, now + 120 * minute)).toMatchObject({ probes: 2880 - 240, successes: 2880 - 240 - 90 });
    // A probe a day later clears the minutes it skipped over instead of counting them twice.
    history.record(success(), end + 24 * 60 * minute);
    expect(history.counts(24 * 60, end + 24 * 60 * minute)).toMatchObject({ probes: 1, successes: 1 });
  });
});

test('after an incident and its recovery, the page and /status.json show the history, failing since / healthy since, and the contract break', async ({}, testInfo) => {
  const chromiumBinary = requireBinary('chromium');
  test.setTimeout(90_000);
  const steady = await startSimulator();
  const incident = await startSimulator();
  const tokens = [...steady.customers, ...incident.customers].map((c) => c.token);
  // A timeout far above any local answer: an extra timed-out probe on a loaded machine would only add a red cell.
  const exporter = await startQuietExporter(statusTargets(steady, incident), { intervalSeconds: 0.5, timeoutSeconds: 0.45, jitterSeconds: 0.05 });
  const browser = await launchChromium(chromiumBinary);
  const statusJson = async (): Promise<StatusReport> => {
    const res = await fetch(`${exporter.url}/status.json`);
    expect(res.headers.get('content-type'), '/status.json is JSON').toContain('application/json');
    const text = await res.text();
    for (const token of tokens) expect(text.includes(token), 'no token in /status.json').toBe(false);
    return JSON.parse(text) as StatusReport;
  };
  /**
   * sg1's getCustomer in /status.json, once `ready` holds for it. Polled, because on a loaded machine a probe may time
   * out at any moment (one more red cell): what is asserted is read from a snapshot in which the state waited for holds.
   */
  const sg1When = (what: string, ready: (p: ProbeStatus) => boolean): Promise<ProbeStatus> =>
    eventually(
      what,
      async () => {
        const entry = (await statusJson()).probes.find((p) => p.target === 'sg1' && p.operation === 'getCustomer');
        return entry && ready(entry) ? entry : undefined;
      },
      30_000,
    );
  /** Loads the page until `check` passes on one load (the same reason as sg1When). */
  const pageWhere = (check: () => Promise<void>): Promise<void> =>
    expect(async () => {
      await page.goto(exporter.url);
      await check();
    }).toPass({ timeout: 30_000 });
  const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
  try {
    // The page refreshes itself every 2 s here; a refresh landing on a navigation or a screenshot would race it, so the
    // test loads each state itself (tests/monitor-status-page.test.ts checks the refresh).
    await page.route(`${exporter.url}/`, async (route) => {
      const response = await route.fetch();
      await route.fulfill({ response, body: (await response.text()).replace(/<meta http-equiv="refresh"[^>]*>/, '') });
    });

    const before = await test.step('healthy first', () => sg1When('eight probes, the last a success', (p) => p.history.length >= 8 && p.status === 'up'));

    const during = await test.step('incident: sg1 retypes users_count; the page says since when it fails, and where the body breaks the contract', async () => {
      incident.setMode('retyped-field');
      const failing = await sg1When(
        'six contract failures, the last one too',
        (p) => p.last?.reason === 'contract' && p.history.filter((h) => h.reason === 'contract').length >= 6,
      );
      expect(failing.status).toBe('failing');
      expect(failing.healthySince, 'not healthy while failing').toBeNull();
      expect(Date.parse(failing.failingSince ?? ''), 'failing since the first failure after the last success seen healthy').toBeGreaterThan(
        Date.parse(before.last?.at ?? ''),
      );
      expect(Date.parse(failing.lastSuccess ?? ''), 'the last success came before the incident').toBeLessThan(Date.parse(failing.failingSince ?? ''));
      expect(failing.last?.contract, 'the JSON pointer with expected and observed').toEqual({
        pointer: '/data/users_count',
        kind: 'type-mismatch',
        expected: 'number',
        observed: '"25" (string)',
      });
      expect(
        failing.history.some((h) => h.success),
        'the successes before the incident are in the history',
      ).toBe(true);
      expect(failing.successRatio.lastHour.ratio, 'the hour ratio fell').toBeLessThan(1);

      await pageWhere(async () => {
        const r = statusRow(page, 'sg1', 'getCustomer');
        await expect(r.locator('.state')).toHaveText('FAILING', { timeout: 1000 });
        await expect(r.locator('.since')).toContainText('failing since', { timeout: 1000 });
        await expect(r.locator('.detail .contract')).toContainText('/data/users_count', { timeout: 1000 });
        await expect(r.locator('.detail .contract')).toContainText('"25" (string)', { timeout: 1000 });
        await expect(r.locator('.history .bar i.up').first(), 'successes before the incident in the bar').toBeVisible({ timeout: 1000 });
        await expect(r.locator('.history .bar i.failing').first(), 'failures in the bar').toBeVisible({ timeout: 1000 });
      });
      await page.screenshot({ path: testInfo.outputPath('status-page-incident.png'), fullPage: true });
      return failing;
    });

    await test.step('recovery: healthy since, the failures stay in the history and the last failure is remembered', async () => {
      incident.setMode('faithful');
      const healthy = await sg1When('six successes in a row again', (p) => p.history.length >= 6 && p.history.slice(-6).every((h) => h.success));
      expect(healthy.status).toBe('up');
      expect(healthy.failingSince).toBeNull();
      expect(Date.parse(healthy.healthySince ?? ''), 'healthy since the first success after the contract failures').toBeGreaterThan(
        Date.parse(during.last?.at ?? ''),
      );
      expect(Date.parse(healthy.healthySince ?? ''), 'and after the last failure').toBeGreaterThan(Date.parse(healthy.lastFailure?.at ?? ''));
      expect(Date.parse(healthy.lastSuccess ?? ''), 'the last success is the last probe').toBe(Date.parse(healthy.last?.at ?? ''));
      expect(healthy.lastFailure?.at, 'a failure is remembered').toBeTruthy();
      expect(
        healthy.history.some((h) => h.reason === 'contract'),
        'the incident is still in the history',
      ).toBe(true);
      const ratio = healthy.successRatio.lastHour;
      expect(ratio.ratio, 'some failed, most succeeded').toBeGreaterThan(0);
      expect(ratio.ratio).toBeLessThan(1);
      expect(ratio.successes / ratio.probes).toBe(ratio.ratio);
      expect(healthy.successRatio.lastDay.probes, 'the day holds the hour').toBeGreaterThanOrEqual(ratio.probes);

      await pageWhere(async () => {
        const r = statusRow(page, 'sg1', 'getCustomer');
        await expect(r.locator('.state')).toHaveText('UP', { timeout: 1000 });
        await expect(r.locator('.since')).toContainText('healthy since', { timeout: 1000 });
        await expect(r.locator('.detail')).toContainText('last failure', { timeout: 1000 });
        await expect(r.locator('.history .bar i.failing').first(), 'the incident in the bar').toBeVisible({ timeout: 1000 });
        await expect(r.locator('.ratio')).toContainText(/\d+\.\d %/, { timeout: 1000 });
        await expect(r.locator('.last-success')).toContainText(/UTC/, { timeout: 1000 });
      });
      await expect(statusRow(page, 'expired', 'getCustomer').locator('.last-success'), 'a target that never succeeded').toHaveText('never');
      await expect(statusRow(page, 'expired', 'getCustomer').locator('.since')).toContainText('failing since');
      await expect(statusRow(page, 'expired', 'getCustomer').locator('.ratio')).toContainText('0.0 %');
      const html = await page.content();
      for (const token of tokens) expect(html.includes(token), 'no token in the page').toBe(false);
      const file = testInfo.outputPath('status-page-recovered.png');
      await page.screenshot({ path: file, fullPage: true });
      expect(fs.statSync(file).size, 'a screenshot was written').toBeGreaterThan(10_000);
      await testInfo.attach('status page during the incident', { path: testInfo.outputPath('status-page-incident.png'), contentType: 'image/png' });
      await testInfo.attach('status page after recovery', { path: file, contentType: 'image/png' });
    });
  } finally {
    await browser.close();
    await exporter.stop();
    await steady.stop();
    await incident.stop();
  }
});
