// The gate against a target that attacks the reports: nothing it sends (values, property names, text bodies, 20,000
// made-up properties) can forge Markdown or HTML in summary.md, drift.md or the step summary, issue a workflow command
// or move the cursor in the terminal or junit.xml, make junit.xml unparsable, or make a report or the runner unbounded.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import MarkdownIt from 'markdown-it';
import { SaxesParser } from 'saxes';
import { Secret } from '../config/secret';
import { canSampleRss, sampleTreeRss } from './helpers/artifacts';
import { scrape, startQuietExporter } from './helpers/monitor-harness';
import { startReportInjectingTarget, type ReportInjectingTarget } from './helpers/report-injecting-target';
import { remoteTargetEnv, repoRoot, runGate, type GateRun } from './helpers/run-gate';

const flood = 20_000;
const mib = 1024 * 1024;
/** The bounds this test holds the outputs to (docs/safety-model.md, "Untrusted output"). */
const bounds = { summary: 1 * mib, stepSummary: 1 * mib, driftMd: 2 * mib, driftJson: 2 * mib, junit: 2 * mib, runnerRss: 1024 * mib };

// Rendered as GitHub would: raw HTML allowed, bare URLs turned into links.
const markdown = new MarkdownIt({ html: true, linkify: true });
/** The suite's own HTML in summary.md: the reproductions' <details>. */
const ownHtml = new Set(['<details><summary>Reproduce each finding</summary>', '</details>']);
/** The suite's own section titles (h3); its one h2 is the run's real headline. */
const ownSections =
  /^(Breaking|Non-breaking|Advisories|New findings|Accepted findings|Stale acceptances|What did not run|Blocked|Throttled|Failed without a finding)\b/;

interface Rendered {
  /** Elements the suite does not write: any image, link, inline HTML, h1, or heading or HTML block that is not its own. */
  forged: string[];
  /** The text of every code span. */
  codeSpans: string[];
}

/** The Markdown's elements as GitHub would render them; `state` is the run's real verdict (the only h2 allowed). */
function render(text: string, state: 'FAILED' | 'PASSED with warnings'): Rendered {
  const forged: string[] = [];
  const codeSpans: string[] = [];
  const tokens = markdown.parse(text, {});
  tokens.forEach((token, i) => {
    if (token.type === 'html_block' && !ownHtml.has(token.content.trim())) forged.push(`HTML block ${JSON.stringify(token.content.slice(0, 80))}`);
    if (token.type === 'heading_open') {
      const title = tokens[i + 1]?.content ?? '';
      const own = token.tag === 'h2' ? title === `Contract gate: ${state}` : token.tag === 'h3' && ownSections.test(title);
      if (!own) forged.push(`${token.tag} ${JSON.stringify(title.slice(0, 80))}`);
    }
    for (const child of token.children ?? []) {
      if (child.type === 'image') forged.push(`image ${child.attrGet('src') ?? ''}`);
      if (child.type === 'link_open') forged.push(`link ${child.attrGet('href') ?? ''}`);
      if (child.type === 'html_inline') forged.push(`inline HTML ${JSON.stringify(child.content.slice(0, 80))}`);
      if (child.type === 'code_inline') codeSpans.push(child.content);
    }
  });
  return { forged, codeSpans };
}

/** Lines a CI runner would read as a workflow command, and raw control bytes a terminal would act on. */
function logProblems(text: string): string[] {
  const problems: string[] = [];
  // A lone CR ends a line for a log viewer, so split on it too.
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line.trimStart().startsWith('::')) problems.push(`line starts with :: ${JSON.stringify(line.slice(0, 80))}`);
    if (line.includes('##[')) problems.push(`##[ in ${JSON.stringify(line.slice(0, 80))}`);
  }
  if (text.includes('\u001b')) problems.push(`raw ESC (${text.split('\u001b').length - 1}×)`);
  const lone = text.replace(/\r\n/g, '').split('\r').length - 1;
  if (lone > 0) problems.push(`raw CR (${lone}×)`);
  return problems.slice(0, 20);
}

/** Errors a strict XML 1.0 parser reports for the text. */
function xmlErrors(text: string): string[] {
  const errors: string[] = [];
  const parser = new SaxesParser({ xmlns: false });
  parser.on('error', (error) => errors.push(error.message));
  parser.write(text).close();
  return errors.slice(0, 10);
}

function size(file: string): number {
  return fs.existsSync(file) ? fs.statSync(file).size : -1;
}

/** Runs the gate on the specs that read the customer and its usage (every injection, no DELETE flow) against `target`. */
async function gateAgainst(target: ReportInjectingTarget, name: string): Promise<{ run: GateRun; stepSummary: string; peakRss: number }> {
  const stepSummary = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hostile-reports-')), 'step-summary.md');
  const rss = canSampleRss() ? sampleTreeRss(process.pid, 200) : undefined;
  const run = await runGate({
    reportsDir: path.join(repoRoot, 'reports', 'self-test', `hostile-reports-${name}`),
    args: ['get-customer.spec', 'get-customer-usage.spec', 'generated.spec'],
    env: { ...remoteTargetEnv(target.baseUrl, target.customers), API_ALLOW_DELETE: '0', GITHUB_STEP_SUMMARY: stepSummary, CI: '1' },
    timeoutMs: 240_000,
  });
  return { run, stepSummary, peakRss: rss?.stop() ?? 0 };
}

/** Every Markdown the run wrote, with its name. */
function markdownFiles(run: GateRun, stepSummary: string): Array<[string, string]> {
  return [
    ['summary.md', path.join(run.reportsDir, 'summary.md')],
    ['drift.md', path.join(run.reportsDir, 'drift.md')],
    ['step summary', stepSummary],
  ];
}

test.describe('reports against a target that attacks them', () => {
  // One gate run per target, judged from every side (soft, so one report shows every hole at once).
  test('injections in values, property names and a text body: no forged Markdown, no workflow command or raw control, strict XML', async () => {
    test.setTimeout(300_000);
    const target = await startReportInjectingTarget({ hostile: true, flood: 0 });
    let gate: Awaited<ReturnType<typeof gateAgainst>>;
    try {
      gate = await gateAgainst(target, 'injections');
    } finally {
      await target.stop();
    }
    const { run, stepSummary } = gate;
    const file = (name: string): string => path.join(run.reportsDir, name);

    await test.step('the gate fails on the hostile bodies and writes every report', () => {
      expect(run.exitCode, run.stderr.slice(0, 2000)).toBe(1);
      expect.soft(run.stderr, 'no stack trace').not.toMatch(/\n\s+at /);
      for (const name of ['summary.md', 'drift.md', 'drift.json', 'junit.xml']) expect(fs.existsSync(file(name)), name).toBe(true);
    });

    await test.step("summary.md, drift.md and the step summary render only the suite's own elements, and show the hostile names as text", () => {
      for (const [name, at] of markdownFiles(run, stepSummary)) {
        const rendered = render(fs.readFileSync(at, 'utf8'), 'FAILED');
        expect.soft(rendered.forged, `${name}: elements a target forged`).toEqual([]);
        if (name !== 'drift.md') continue;
        // Shown, not dropped: each name is the text of a code span, its line endings visible escapes.
        const shown = (needle: string): boolean => rendered.codeSpans.some((c) => c.includes(needle));
        expect.soft(shown('\\r\\r## Contract gate: PASSED ✅\\r\\rAll checks green, merge away'), 'the forged-heading name, as text').toBe(true);
        expect.soft(shown('z\\n::error title=Contract gate::PASSED\\n::stop-commands::pwned'), 'the workflow-command name, as text').toBe(true);
        expect.soft(shown('a|b|c'), 'the name with cell breaks, as text').toBe(true);
      }
    });

    await test.step('the terminal and junit.xml hold no workflow command, no ##[, no raw ESC or CR', () => {
      expect.soft(logProblems(`${run.stdout}\n${run.stderr}`), 'terminal').toEqual([]);
      expect.soft(logProblems(fs.readFileSync(file('junit.xml'), 'utf8')), 'junit.xml').toEqual([]);
    });

    await test.step('junit.xml is accepted by a strict XML 1.0 parser and still holds the failures', () => {
      const xml = fs.readFileSync(file('junit.xml'), 'utf8');
      expect.soft(xmlErrors(xml), 'strict XML 1.0').toEqual([]);
      expect.soft(xml).toMatch(/<failure /);
    });
  });

  test(`${flood.toLocaleString('en-US')} made-up properties in every answer: findings, reports and the runner are bounded, and the reports say what was cut`, async () => {
    test.setTimeout(300_000);
    const target = await startReportInjectingTarget({ hostile: false, flood });
    let gate: Awaited<ReturnType<typeof gateAgainst>>;
    try {
      gate = await gateAgainst(target, 'flood');
    } finally {
      await target.stop();
    }
    const { run, stepSummary, peakRss } = gate;
    const file = (name: string): string => path.join(run.reportsDir, name);
    // Undocumented properties are non-breaking: the gate passes, with warnings.
    expect(run.exitCode, run.stderr.slice(0, 2000)).toBe(0);
    const sizes = {
      summary: size(file('summary.md')),
      stepSummary: size(stepSummary),
      driftMd: size(file('drift.md')),
      driftJson: size(file('drift.json')),
      junit: size(file('junit.xml')),
    };
    test.info().annotations.push({
      type: 'sizes',
      description: `${Object.entries(sizes)
        .map(([name, bytes]) => `${name} ${(bytes / 1024).toFixed(0)} KiB`)
        .join(', ')}, peak RSS ${(peakRss / mib).toFixed(0)} MiB`,
    });
    for (const [name, bytes] of Object.entries(sizes)) expect.soft(bytes, `${name} bytes`).toBeLessThanOrEqual(bounds[name as keyof typeof sizes]);
    if (peakRss > 0) expect.soft(peakRss, 'peak RSS of the runner and its workers').toBeLessThanOrEqual(bounds.runnerRss);
    const drift = JSON.parse(fs.readFileSync(file('drift.json'), 'utf8')) as { findings: Array<{ message: string }> };
    expect.soft(drift.findings.length, 'findings listed in drift.json').toBeLessThanOrEqual(500);
    expect
      .soft(
        drift.findings.some((f) => /^\/data: [\d,]+ more undocumented properties under \/data/.test(f.message)),
        'a finding counts the properties not listed',
      )
      .toBe(true);
    expect
      .soft(fs.readFileSync(file('drift.md'), 'utf8'), 'drift.md says what it did not list')
      .toMatch(/more undocumented-property findings \(non-breaking\) not listed/);
    for (const [name, at] of markdownFiles(run, stepSummary)) expect.soft(render(fs.readFileSync(at, 'utf8'), 'PASSED with warnings').forged, name).toEqual([]);
  });

  test('/probe?debug=true shows the hostile names without raw ESC or CR', async () => {
    const target = await startReportInjectingTarget({ hostile: true, flood: 0 });
    const primary = target.customers.find((c) => c.role === 'primary')!;
    const exporter = await startQuietExporter(
      [
        {
          name: 'default',
          baseUrl: target.baseUrl,
          customerId: primary.id,
          tokenSource: { kind: 'value', token: new Secret(primary.token) },
          authScheme: 'Bearer',
        },
      ],
      { intervalSeconds: 3600, timeoutSeconds: 30, jitterSeconds: 0 },
      { scheduled: false },
    );
    try {
      const debug = (await scrape(exporter, '/probe?target=default&operation=getCustomer&debug=true')).text;
      expect(debug, 'the probe judged the hostile body').toMatch(/contract non-breaking: \/data\/y/);
      expect(logProblems(debug), '/probe?debug=true').toEqual([]);
    } finally {
      await exporter.stop();
      await target.stop();
    }
  });
});
