// The one way text a target sent (values, property names, JSON pointers, bodies, headers) goes into each output: a bound,
// plain text for a terminal or CI log, Markdown, XML. Every report, message and log line that can hold a target's bytes uses these.

/** How much of one untrusted value (an observed value, a property name) a finding keeps, in characters. */
export const defaultTextLimit = 200;
/** The longest piece of text an output shows in one place (a message, a reproduction, a reason), in characters. */
export const defaultLineLimit = 2000;

/**
 * Text cut to `max` characters, saying how much was cut: `abc… (1,234 more characters)`. A surrogate pair is never split.
 * Shorter text comes back as it is.
 */
export function clip(text: string, max = defaultTextLimit): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max);
  const last = text.charCodeAt(end - 1);
  if (end > 0 && last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}… (${(text.length - end).toLocaleString('en-US')} more characters)`;
}

/**
 * Every character that can end a line, steer a terminal or break a parser: C0 and C1 controls and DEL, U+2028/U+2029,
 * the bidirectional overrides and isolates, the BOM, the non-characters U+FFFE/U+FFFF and lone surrogates.
 */
const unsafeCharacters =
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const namedEscapes: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function visibleEscape(character: string): string {
  return namedEscapes[character] ?? `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** The text with every unsafe character (see above) written as a visible escape: `\n`, `\r`, `\t`, `\u001b`, `\u2028`, `\ufffe`. */
export function escapeControls(text: string): string {
  return text.replace(unsafeCharacters, visibleEscape);
}

/**
 * One line for a terminal or a CI log: controls escaped (so it stays one line and cannot move the cursor, colour or
 * link), and nothing a CI runner reads as a command. GitHub Actions reads a line that starts with `::` after leading
 * whitespace as a workflow command, and the older `##[command]` form anywhere in a line; so `##[` becomes `##\[` and a
 * leading `::` becomes `\::`.
 */
export function terminalText(text: string, max = defaultLineLimit): string {
  return neutraliseCommands(escapeControls(clip(text, max)));
}

/** Neutralises workflow commands in text that holds no line break (escapeControls already ran). */
function neutraliseCommands(line: string): string {
  const noLegacy = line.replace(/##\[/g, '##\\[');
  const start = noLegacy.length - noLegacy.trimStart().length;
  return noLegacy.startsWith('::', start) ? `${noLegacy.slice(0, start)}\\${noLegacy.slice(start)}` : noLegacy;
}

/**
 * Text whose own line breaks are kept (a body shown for people): each line as terminalText, so no line starts with `::`,
 * none holds `##[` or a control character, and a lone CR is `\r`, not a line break. Bounded by `max` characters in all.
 */
export function terminalLines(text: string, max = 4000): string {
  return clip(text, max)
    .split(/\r?\n/)
    .map((line) => neutraliseCommands(escapeControls(line)))
    .join('\n');
}

/** Characters XML 1.0 does not allow (its Char production), besides the markup it escapes: C0 but tab/LF/CR, U+FFFE/FFFF, lone surrogates. */
const notXmlCharacters = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Text a strict XML 1.0 parser accepts as character data once `&`, `<`, `>` and quotes are escaped: other characters written as `\uXXXX`. */
export function xmlCharacters(text: string): string {
  return text.replace(notXmlCharacters, visibleEscape);
}

/**
 * A file of text for a CI log or a test tab (junit.xml): every line without workflow commands, every character one
 * XML 1.0 allows. Line breaks stay as they are (the file's own structure); a lone CR counts as a line break here, as
 * a log reader would take it, so the line after it is checked too.
 */
export function logFileText(text: string): string {
  return xmlCharacters(text)
    .split(/(\r\n|\r|\n)/)
    .map((part, i) => (i % 2 === 0 ? neutraliseCommands(part) : part))
    .join('');
}

export interface MarkdownOptions {
  /** Inside a table cell: `|` is escaped too (GFM splits cells on it even inside a code span). */
  cell?: boolean;
  /** Longest text shown before it is cut (default defaultLineLimit). */
  max?: number;
}

/**
 * A Markdown code span around untrusted text: its fence one backtick longer than the longest run of backticks inside,
 * padded when the text starts or ends with a backtick or a space (unless it is all spaces), every control and line ending a visible escape (a
 * lone CR ends a Markdown line), `|` escaped in a cell. Nothing inside a code span renders as HTML, a link or a heading.
 */
export function markdownCode(text: string, options: MarkdownOptions = {}): string {
  let inner = escapeControls(clip(text, options.max ?? defaultLineLimit));
  if (options.cell) inner = inner.replace(/\|/g, '\\|');
  if (inner.length === 0) return '` `';
  const longestRun = Math.max(0, ...(inner.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  // CommonMark strips one space from each end of a span that starts and ends with one, unless it is all spaces.
  const pad = /^[` ]|[` ]$/.test(inner) && /[^ ]/.test(inner) ? ' ' : '';
  return `${fence}${pad}${inner}${pad}${fence}`;
}

/**
 * Untrusted text as Markdown prose: controls and line endings escaped, and every ASCII character that can start
 * markup backslash-escaped, so no HTML, image, link, autolink (`https:`, `www.`, `a@b.c`), emphasis, math or cell
 * break can form; it renders as the text it was.
 */
export function markdownText(text: string, options: MarkdownOptions = {}): string {
  return escapeControls(clip(text, options.max ?? defaultLineLimit)).replace(/[\\`*_[\]<>|!&~#:.@$]/g, '\\$&');
}

/**
 * Markdown cut to at most `maxBytes` bytes of UTF-8 at a line boundary, with a last line saying so. An open code
 * fence or `<details>` left by the cut is closed first. Text within the bound comes back as it is.
 */
export function boundMarkdown(text: string, maxBytes: number, where: string): string {
  const total = Buffer.byteLength(text, 'utf8');
  if (total <= maxBytes) return text;
  const reserve = 512;
  const kept: string[] = [];
  let bytes = 0;
  for (const line of text.split('\n')) {
    const size = Buffer.byteLength(line, 'utf8') + 1;
    if (bytes + size > maxBytes - reserve) break;
    kept.push(line);
    bytes += size;
  }
  const fences = kept.filter((line) => /^\s*```/.test(line)).length;
  if (fences % 2 === 1) kept.push('```');
  const opened = kept.filter((line) => line.includes('<details>')).length - kept.filter((line) => line.includes('</details>')).length;
  for (let i = 0; i < opened; i++) kept.push('', '</details>');
  kept.push(
    '',
    `**Cut here:** this report stops at ${Math.round(maxBytes / 1024)} KiB; ${(total - bytes).toLocaleString('en-US')} more bytes are not shown (see ${where}).`,
  );
  return `${kept.join('\n')}\n`;
}
