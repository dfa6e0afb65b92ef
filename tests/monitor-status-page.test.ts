// The human status page in real headless Chromium: every target×operation with its state, failures with their reason, no token.
import { expect, test } from '@playwright/test';
import { startSimulator } from '../simulator/server';
import { requireBinary } from './helpers/binaries';
import { eventually, startQuietExporter } from './helpers/monitor-harness';
import { launchChromium, statusRow, statusTargets } from './helpers/status-page';

test('the status page shows each target×operation, a failing target with its reason, and never the token', async () => {
  const chromiumBinary = requireBinary('chromium');

  const healthy = await startSimulator();
  const drifting = await startSimulator({ mode: 'retyped-field' });
  const primary = healthy.customer('primary');
  const exporter = await startQuietExporter(statusTargets(healthy, drifting), { intervalSeconds: 0.5, timeoutSeconds: 0.4 });
  const browser = await launchChromium(chromiumBinary);
  try {
    await eventually('every target probed', () => exporter.runner.states().every((s) => s.last !== undefined));
    const page = await browser.newPage();
    await page.goto(exporter.url);
    await expect(page).toHaveTitle(/failing — Customer API probes/);
    await expect(page.locator('meta[http-equiv="refresh"]'), 'the page refreshes itself').toHaveAttribute('content', /^\d+$/);

    const row = (target: string, operation: string) => statusRow(page, target, operation);
    for (const target of ['mum1', 'sg1', 'expired']) {
      for (const operation of ['getCustomer', 'getCustomerUsage']) {
        await expect(row(target, operation), `a row for ${target} × ${operation}`).toHaveCount(1);
      }
    }
    await expect(row('mum1', 'getCustomer').locator('.state')).toHaveText('UP');
    await expect(row('mum1', 'getCustomerUsage').locator('.state')).toHaveText('UP');
    await expect(row('sg1', 'getCustomer').locator('.state')).toHaveText('FAILING');
    await expect(row('sg1', 'getCustomer').locator('.reason')).toHaveText('contract');
    await expect(row('sg1', 'getCustomer').locator('.detail')).toContainText('type-mismatch');
    await expect(row('expired', 'getCustomer').locator('.state')).toHaveText('FAILING');
    await expect(row('expired', 'getCustomer').locator('.reason')).toHaveText('auth');
    await expect(row('expired', 'getCustomer')).toContainText('401');
    await expect(row('mum1', 'getCustomer')).toContainText(/\d+ ms/);
    await expect(row('mum1', 'getCustomer')).toContainText(/\d+ s ago/);

    const html = await page.content();
    for (const token of [primary.token, 'an-expired-token-0000', ...drifting.customers.map((c) => c.token)]) {
      expect(html.includes(token), 'no token anywhere in the page').toBe(false);
    }

    // Recovery shows up on the next refresh.
    drifting.setMode('faithful');
    await eventually('sg1 recovered', () =>
      exporter.runner
        .states()
        .filter((s) => s.target === 'sg1')
        .every((s) => s.last?.success),
    );
    await page.reload();
    await expect(row('sg1', 'getCustomer').locator('.state')).toHaveText('UP');
  } finally {
    await browser.close();
    await exporter.stop();
    await healthy.stop();
    await drifting.stop();
  }
});

test('at 1400 px a failing row shows its Detail (pointer, expected, observed) on screen, and a slow target reads SLOW', async () => {
  const chromiumBinary = requireBinary('chromium');
  const healthy = await startSimulator();
  const drifting = await startSimulator({ mode: 'retyped-field' });
  const slow = await startSimulator({ latencyMs: 700 });
  const exporter = await startQuietExporter([...statusTargets(healthy, drifting), { ...statusTargets(slow, slow)[0]!, name: 'slow1' }], {
    intervalSeconds: 2,
    timeoutSeconds: 1.8,
  });
  const browser = await launchChromium(chromiumBinary);
  try {
    await eventually('every target probed', () => exporter.runner.states().every((s) => s.last !== undefined));
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(exporter.url);
    const slowRow = statusRow(page, 'slow1', 'getCustomer');
    await expect(slowRow.locator('.state'), 'a 700 ms success is over the 0.5 s threshold').toHaveText('SLOW');
    await expect(slowRow.locator('.detail')).toContainText('slower than the 500 ms latency threshold');
    const detail = statusRow(page, 'sg1', 'getCustomer').locator('.detail .contract').first();
    await expect(detail).toBeVisible();
    await expect(detail).toContainText('/data/users_count');
    await expect(detail).toContainText('expected');
    await expect(detail).toContainText('observed');
    for (const cell of await detail.locator('dd').all()) {
      const box = await cell.boundingBox();
      expect(box, 'laid out').not.toBeNull();
      expect(box!.x + box!.width, 'inside the 1400 px viewport, no horizontal scrolling needed').toBeLessThanOrEqual(1400);
    }
    expect(await page.evaluate(() => document.documentElement.scrollWidth), 'no horizontal scrollbar').toBeLessThanOrEqual(1400);
    await page.screenshot({ path: test.info().outputPath('status-page-1400.png'), fullPage: true });
  } finally {
    await browser.close();
    await exporter.stop();
    await healthy.stop();
    await drifting.stop();
    await slow.stop();
  }
});
