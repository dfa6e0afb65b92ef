// Markdown for untrusted text (the vendor's page, a target's values): code spans that cannot be broken out of, cells that stay cells.
// A local encoder until the shared one (another branch) lands; its rules are the same: no raw HTML, controls shown, `|` escaped.

/** Shows control, bidi and zero-width characters as `\u{…}` escapes, so nothing invisible or line-breaking reaches the report. */
export function visibleControls(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g, (c) =>
    c === '\n' ? '\\n' : c === '\t' ? '\\t' : `\\u{${c.codePointAt(0)!.toString(16)}}`,
  );
}

/** A code span whose fence is longer than any run of backticks inside, padded when the text starts or ends with one. */
export function codeSpan(text: string): string {
  const shown = visibleControls(text);
  if (shown === '') return '` `';
  const longest = Math.max(0, ...[...shown.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = /^[`\s]|[`\s]$/.test(shown) ? ' ' : '';
  return `${fence}${pad}${shown}${pad}${fence}`;
}

/** Text for a table cell: the caller's Markdown kept, every `|` escaped (GFM splits cells before it reads code spans), lines joined. */
export function cell(markdown: string): string {
  return markdown.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

/** Untrusted text as plain Markdown prose: specials escaped, `<` and `&` as entities (no raw HTML), controls shown. */
export function plainText(text: string): string {
  return visibleControls(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_{}[\]()#+\-.!|~])/g, '\\$1');
}
