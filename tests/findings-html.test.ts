// The HTML report leads with the run's findings (reporters/findings-html.ts): escaped, bounded, before the list of tests.
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { findingsSection, htmlText, injectFindings } from '../reporters/findings-section';
import { sharedGateRun } from './helpers/run-gate';

const hostile = '<img src=x onerror=alert(1)>\r\n## PASSED <a href="https://attacker.example">ok</a> \u001b[31m';

test("a finding shows its message, evidence, tests and full curl; a target's bytes cannot make an element", () => {
  const section = findingsSection({
    headline: 'Contract gate: FAILED — 1 breaking (documented)',
    findings: [
      {
        operation: 'getCustomer',
        method: 'GET',
        url: '/cust_abc123',
        status: 200,
        pointer: `/data/${hostile}`,
        message: `/data/users_count: type mismatch: observed ${hostile}`,
        evidence: { level: 'documented', note: "the page's Response example" },
        gating: true,
        expected: 'number',
        observed: hostile,
        curl: `curl -sS -i -X GET "$API_BASE_URL/cust_abc123" -H "Authorization: Bearer $API_TOKEN" ${'-H "X: y" '.repeat(40)}`,
        tests: ['GET /{customer_id} › answers 200 with the documented body'],
        count: 1,
      },
    ],
  });
  expect(section).toContain('Contract gate: FAILED');
  expect(section).toContain('documented');
  expect(section).toContain('answers 200 with the documented body');
  expect(section, 'the curl is whole, wrapped rather than clipped').toContain('-H &quot;X: y&quot; '.repeat(40).trim());
  expect(section).toContain('white-space:pre-wrap');
  expect(section, 'no element from the target').not.toMatch(/<img|<a |onerror=alert\(1\)>/);
  expect(section, 'no raw control character').not.toMatch(/[\r\u001b]/);
  expect(htmlText('x'.repeat(5000)).length, 'bounded').toBeLessThan(2100);
});

test('the section goes before the report app, and a second run replaces it instead of adding another', () => {
  const page = "<html><body>\n<div id='root'></div></body></html>";
  const once = injectFindings(page, findingsSection({ headline: 'first', findings: [] }));
  expect(once.indexOf('contract-findings')).toBeLessThan(once.indexOf("<div id='root'>"));
  const twice = injectFindings(once, findingsSection({ headline: 'second', findings: [] }));
  expect(twice).toContain('second');
  expect(twice).not.toContain('first');
  expect(twice.match(/<section id="contract-findings"/g)).toHaveLength(1);
});

test("a failing gate's HTML report lists its findings before the tests", async () => {
  // The mutation table's run of this mode, shared within one npm test (helpers/run-gate.ts).
  const run = await sharedGateRun({ env: { SIMULATOR_MODE: 'retyped-field' } });
  expect(run.exitCode, run.stdout).toBe(1);
  const html = fs.readFileSync(path.join(run.reportsDir, 'html', 'index.html'), 'utf8');
  const section = html.slice(html.indexOf('<section id="contract-findings"'), html.indexOf("<div id='root'>"));
  expect(section, 'the section precedes the app').toContain('Contract gate: FAILED');
  expect(section).toContain('/data/users_count');
  expect(section).toContain('curl -sS -i -X GET');
});
