// The findings section at the top of Playwright's HTML report: drift.json's findings as escaped, bounded HTML.

/** The fields of a drift.json finding this section shows; every one of them may hold a target's bytes. */
interface ShownFinding {
  operation?: unknown;
  method?: unknown;
  url?: unknown;
  status?: unknown;
  pointer?: unknown;
  message?: unknown;
  severity?: unknown;
  gating?: unknown;
  evidence?: { level?: unknown; note?: unknown };
  expected?: unknown;
  observed?: unknown;
  curl?: unknown;
  tests?: unknown;
  count?: unknown;
}

/** At most this many findings are shown; drift.md has every one. */
const shownFindings = 200;
/** Any one text is cut to this many characters. */
const textLimit = 2_000;
const marker = '<!-- contract-findings -->';

/** HTML text: the five special characters as entities, controls as visible escapes, cut to a bound. */
export function htmlText(value: unknown, limit = textLimit): string {
  let text = typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value);
  if (text.length > limit) text = `${text.slice(0, limit)}… (${text.length - limit} more characters)`;
  return text
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufffe\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function findingHtml(finding: ShownFinding): string {
  const gating = finding.gating === true;
  const tests = Array.isArray(finding.tests) ? (finding.tests as unknown[]) : [];
  const count = typeof finding.count === 'number' ? finding.count : tests.length;
  const where = `${htmlText(finding.operation)} · ${htmlText(finding.method)} ${htmlText(finding.url)} · answered ${htmlText(finding.status)}`;
  const rows = [
    `<div><b>${htmlText(finding.message)}</b></div>`,
    `<div>${where}${finding.pointer ? ` · at <code>${htmlText(finding.pointer)}</code>` : ''}</div>`,
    `<div>expected <code>${htmlText(finding.expected, 300)}</code>, observed <code>${htmlText(finding.observed, 300)}</code></div>`,
    `<div>evidence: <b>${htmlText(finding.evidence?.level)}</b> — ${htmlText(finding.evidence?.note)}</div>`,
    `<div>${gating ? 'fails the gate' : 'warning: does not fail the gate'} · seen ${count} time(s) by ${tests.length} test(s)</div>`,
    tests.length > 0
      ? `<ul>${tests
          .slice(0, 10)
          .map((title) => `<li>${htmlText(title, 300)}</li>`)
          .join('')}</ul>`
      : '',
    `<pre style="white-space:pre-wrap;word-break:break-all;margin:4px 0">${htmlText(finding.curl)}</pre>`,
  ];
  const colour = gating ? '#d1242f' : '#9a6700';
  return `<li style="border-left:4px solid ${colour};padding:4px 8px;margin:8px 0;list-style:none">${rows.join('')}</li>`;
}

/** The section: the run's headline, then every finding (bounded), failing first, as drift.json orders them. */
export function findingsSection(drift: { headline?: unknown; findings?: unknown }): string {
  const findings = Array.isArray(drift.findings) ? (drift.findings as ShownFinding[]) : [];
  const shown = findings.slice(0, shownFindings);
  const more = findings.length - shown.length;
  const body =
    findings.length === 0
      ? '<p>No findings: every response matched the contract.</p>'
      : `<ol style="padding:0">${shown.map(findingHtml).join('')}</ol>${more > 0 ? `<p>${more} more findings in drift.md and drift.json.</p>` : ''}`;
  return [
    marker,
    '<section id="contract-findings" style="font-family:system-ui,sans-serif;font-size:14px;padding:12px 24px;border-bottom:1px solid #888">',
    `<h2 style="margin:0 0 8px">${htmlText(drift.headline)}</h2>`,
    `<div>Findings (${findings.length}); the tests follow below.</div>`,
    body,
    '</section>',
  ].join('\n');
}

/** Writes the findings section into html/index.html, before the report's app; a second run replaces its own section. */
export function injectFindings(indexHtml: string, section: string): string {
  const withoutOld = indexHtml.includes(marker) ? indexHtml.replace(new RegExp(`${marker}[\\s\\S]*?</section>\\n?`), '') : indexHtml;
  const root = withoutOld.search(/<div id=['"]root['"]/);
  if (root < 0) return withoutOld;
  return `${withoutOld.slice(0, root)}${section}\n${withoutOld.slice(root)}`;
}
