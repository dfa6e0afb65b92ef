// What lets one exporter hold thousands of targets, checked for behaviour only (never for speed): the one-timer schedule, the capped status page, the per-pair series table, the hashmod split.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import YAML from 'yaml';
import type { ProbeTarget } from '../monitors/exporter/config';
import { ExporterMetrics } from '../monitors/exporter/metrics';
import { ProbeHistory } from '../monitors/exporter/history';
import { ProbeClock } from '../monitors/exporter/probe-clock';
import { unsentFailure, type OperationId, type ProbeResult } from '../monitors/exporter/probers';
import type { ProbeState } from '../monitors/exporter/scheduler';
import { maxStatusPageRows, renderStatusPage } from '../monitors/exporter/status-page';
import { prometheusHashmod, splitTargetsFile } from '../monitors/scale-out/shard';
import { sampleValue } from '../tools/exposition';

function success(): ProbeResult {
  return { ...unsentFailure('other', 'HTTP 200 matches the contract'), success: true, reason: undefined, statusCode: 200, durationSeconds: 0.012, sent: true };
}

test('ProbeClock runs every item once per schedule, in due order, and a reschedule replaces the earlier slot', async () => {
  const ran: string[] = [];
  const clock = new ProbeClock<{ name: string }>((item) => ran.push(item.name));
  const [a, b, c] = [{ name: 'a' }, { name: 'b' }, { name: 'c' }];
  clock.schedule(c, 30);
  clock.schedule(a, 10);
  clock.schedule(b, 20);
  clock.schedule(b, 40); // replaces b's slot at 20
  await new Promise((resolve) => setTimeout(resolve, 150));
  expect(ran, 'due order; b once, at its later slot').toEqual(['a', 'c', 'b']);
  clock.schedule(a, 10);
  clock.clear();
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(ran, 'nothing runs after clear()').toHaveLength(3);
});

test(`the status page shows at most ${maxStatusPageRows} rows, failing first, and counts every state`, () => {
  const nowMs = Date.UTC(2026, 10, 27, 12, 0, 0);
  const states: ProbeState[] = [];
  const targets: ProbeTarget[] = [];
  for (let i = 0; i < 300; i++) {
    const name = `t${String(i).padStart(3, '0')}`;
    targets.push({
      name,
      baseUrl: 'http://127.0.0.1:1/v2/integrations',
      customerId: 'c',
      tokenSource: { kind: 'env', variable: 'UNUSED_TOKEN' },
      authScheme: 'Bearer',
    });
    for (const operation of ['getCustomer', 'getCustomerUsage'] as OperationId[]) {
      const result = i === 250 && operation === 'getCustomerUsage' ? unsentFailure('http_5xx', 'HTTP 500') : success();
      const history = new ProbeHistory();
      history.record(result, nowMs - 1000);
      states.push({
        target: name,
        operation,
        last: { ...result, finishedAtMs: nowMs - 1000 },
        probes: 1,
        successes: result.success ? 1 : 0,
        inFlight: false,
        history,
      });
    }
  }
  const page = renderStatusPage({ targets, states, intervalSeconds: 15, nowMs });
  const rows = [...page.matchAll(/<tr data-target="([^"]+)" data-operation="([^"]+)" data-status="([^"]+)">/g)];
  expect(rows, 'capped').toHaveLength(maxStatusPageRows);
  expect(rows[0]!.slice(1), 'the failing pair first').toEqual(['t250', 'getCustomerUsage', 'failing']);
  expect(page, 'a line counting every state').toContain('600 target×operation pairs: 1 failing, 0 throttled, 0 slow, 0 pending, 599 up');
});

test('the series table renders the same names, labels and values as before, each family together', async () => {
  const metrics = new ExporterMetrics({ defaultMetrics: false });
  metrics.initialise('mum1', 'getCustomer');
  metrics.initialise('sg1', 'getCustomer');
  const text = await metrics.expositionText();
  expect(sampleValue(text, 'customer_api_probes_total', { target: 'sg1', operation: 'getCustomer' }), 'counters from the start').toBe(0);
  expect(sampleValue(text, 'probe_success', { target: 'sg1' }), 'no last-probe gauge before a probe').toBeUndefined();
  metrics.record('sg1', 'getCustomer', { ...unsentFailure('contract', 'broken'), statusCode: 200, durationSeconds: 0.3, sent: true }, 1_764_244_800_123);
  const after = await metrics.expositionText();
  expect(sampleValue(after, 'probe_success', { target: 'sg1', operation: 'getCustomer' })).toBe(0);
  expect(sampleValue(after, 'customer_api_last_probe_timestamp_seconds', { target: 'sg1' })).toBe(1_764_244_800.123);
  expect(sampleValue(after, 'customer_api_probe_failures_total', { target: 'sg1', reason: 'contract' })).toBe(1);
  expect(sampleValue(after, 'customer_api_probe_duration_seconds_count', { target: 'sg1' }), 'a failed probe is no latency sample').toBe(0);
  // The latency histogram holds successes only, in its fine buckets around 0.5 s.
  metrics.record(
    'sg1',
    'getCustomer',
    { ...unsentFailure('other', 'x'), success: true, reason: undefined, statusCode: 200, durationSeconds: 0.3, sent: true },
    1_764_244_800_200,
  );
  const ok = await metrics.expositionText();
  expect(sampleValue(ok, 'customer_api_probe_duration_seconds_bucket', { target: 'sg1', le: '0.25' })).toBe(0);
  expect(sampleValue(ok, 'customer_api_probe_duration_seconds_bucket', { target: 'sg1', le: '0.3' })).toBe(1);
  expect(sampleValue(ok, 'customer_api_probe_duration_seconds_bucket', { target: 'sg1', le: '0.5' })).toBe(1);
  expect(sampleValue(ok, 'customer_api_probe_duration_seconds_count', { target: 'sg1' })).toBe(1);
  const types = [...after.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]);
  expect(new Set(types).size, 'one HELP/TYPE per family').toBe(types.length);
});

test("the targets split puts each target in the shard of Prometheus' hashmod, every target exactly once", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shard-test-'));
  try {
    const names = Array.from({ length: 50 }, (_, i) => `t${i}`);
    const file = path.join(dir, 'targets.yml');
    fs.writeFileSync(
      file,
      YAML.stringify({ targets: names.map((name) => ({ name, base_url: 'http://127.0.0.1:1/v2/integrations', customer_id: 'c', token_file: 'token' })) }),
    );
    const shards = splitTargetsFile(file, 3, path.join(dir, 'out'));
    const seen: string[] = [];
    shards.forEach((shardFile, shard) => {
      const { targets } = YAML.parse(fs.readFileSync(shardFile, 'utf8')) as { targets: Array<{ name: string; token_file: string }> };
      for (const t of targets) {
        expect(prometheusHashmod(t.name, 3), `${t.name} in shard ${shard}`).toBe(shard);
        expect(t.token_file, 'token files made absolute').toBe(path.join(dir, 'token'));
        seen.push(t.name);
      }
    });
    expect(seen.sort()).toEqual([...names].sort());
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('/metrics streamed through tiny staging buffers is the same text, hostile labels escaped and blocks never split', async () => {
  const hostile = 'evil"\\\n}\u00e9\u{1F600}';
  const render = async (stagingBufferBytes?: number): Promise<string> => {
    const metrics = new ExporterMetrics({ defaultMetrics: false, stagingBufferBytes });
    for (const target of ['a', hostile, 'c']) metrics.initialise(target, 'getCustomer');
    const violation = { pointer: '/name', expected: 'string "\\"', observed: hostile.repeat(3) };
    metrics.record(
      hostile,
      'getCustomer',
      { ...unsentFailure('contract', 'broken'), statusCode: 200, sent: true, violations: [violation, violation] },
      1_764_244_800_000,
    );
    metrics.record('c', 'getCustomer', success(), 1_764_244_800_500);
    return metrics.expositionText();
  };
  const reference = await render();
  // 64 bytes: smaller than most blocks, so every chunk boundary and the oversized path are exercised.
  expect(await render(64)).toBe(reference);
  expect(await render(300)).toBe(reference);
  expect(sampleValue(reference, 'probe_success', { target: hostile, operation: 'getCustomer' }), 'the hostile target name round-trips').toBe(0);
  const violations = reference.split('\n').filter((line) => line.startsWith('customer_api_contract_violation_info{'));
  expect(violations, 'one line per violation, none broken by a raw newline').toHaveLength(2);
  expect(reference).not.toContain('evil"');
});
