// Reads the vendor's docs page (a URL, an HTML file or a text file) into numbered lines: headings, text, code and table rows.
import fs from 'node:fs';
import path from 'node:path';
import { parse, type DefaultTreeAdapterMap } from 'parse5';
import { UserError } from '../../config/errors';

/** One line of the page as a reader sees it. */
export interface PageLine {
  /** The text, whitespace collapsed (code keeps its own, trimmed). Empty: a break between blocks. */
  text: string;
  /** 1-based line in the source (the file or the HTML as served). */
  line: number;
  /** What it came from in HTML (`h2`, `pre`, `table row 2`); undefined for a text page. */
  element?: string;
  /** A heading element's level (HTML only). */
  heading?: number;
  /** A table row's cells (HTML only); a text page runs cells together. */
  cells?: string[];
  /** A line of a code block (HTML `pre`). */
  code?: boolean;
}

export interface Page {
  /** What the user named (the URL or the file path). */
  source: string;
  form: 'html' | 'text';
  lines: PageLine[];
}

/** The most a page may weigh: the vendor's page is a few KiB. */
const maxPageBytes = 5 * 1024 * 1024;

/** Reads PAGE: http(s) URLs are fetched, anything else is a file. Throws UserError when it cannot be read as a page. */
export async function readPage(input: string): Promise<Page> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(input)) return readUrl(input);
  let bytes: Buffer;
  try {
    const stat = fs.statSync(input);
    if (!stat.isFile()) throw new UserError(`PAGE ${input} is not a file: give the page's URL, an HTML file or a text file.`);
    if (stat.size > maxPageBytes) throw new UserError(`PAGE ${input} is ${stat.size} bytes, more than a docs page (${maxPageBytes}): not read.`);
    bytes = fs.readFileSync(input);
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(
      `PAGE ${input} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}): give the page's URL, an HTML file or a text file.`,
    );
  }
  const html = /\.x?html?$/i.test(path.extname(input)) || looksLikeHtml(bytes);
  return pageFrom(input, decode(bytes, input), html ? 'html' : 'text');
}

async function readUrl(url: string): Promise<Page> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UserError(`PAGE ${url} is not a valid URL.`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UserError(`PAGE ${url}: only http and https URLs are fetched.`);
  if (parsed.username || parsed.password) throw new UserError('PAGE URL carries credentials: give the public page URL without user:password@.');
  let response: Response;
  try {
    response = await fetch(parsed, { redirect: 'follow', signal: AbortSignal.timeout(30_000), headers: { accept: 'text/html, text/plain;q=0.9' } });
  } catch (error) {
    const reason = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
    const cause =
      typeof reason?.code === 'string'
        ? reason.code
        : typeof reason?.message === 'string' && reason.message !== ''
          ? reason.message
          : error instanceof Error
            ? error.message
            : 'error';
    throw new UserError(`PAGE ${parsed.origin}${parsed.pathname} could not be fetched (${cause}).`);
  }
  if (!response.ok) throw new UserError(`PAGE ${parsed.origin}${parsed.pathname} answered HTTP ${response.status}, not the page.`);
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > maxPageBytes) throw new UserError(`PAGE ${parsed.origin}${parsed.pathname} is ${declared} bytes, more than a docs page: not read.`);
  const bytes = Buffer.from(await response.arrayBuffer());
  if (bytes.length > maxPageBytes) throw new UserError(`PAGE ${parsed.origin}${parsed.pathname} is more than ${maxPageBytes} bytes: not read.`);
  const type = (response.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type !== '' && type !== 'text/html' && type !== 'application/xhtml+xml' && type !== 'text/plain') {
    throw new UserError(`PAGE ${parsed.origin}${parsed.pathname} is ${type}, not an HTML or text page.`);
  }
  const html = type === 'text/html' || type === 'application/xhtml+xml' || (type === '' && looksLikeHtml(bytes));
  return pageFrom(url, decode(bytes, url), html ? 'html' : 'text');
}

function looksLikeHtml(bytes: Buffer): boolean {
  return /^\s*(<!doctype html|<html|<head|<body|<!--)/i.test(
    bytes
      .subarray(0, 1024)
      .toString('utf8')
      .replace(/^\uFEFF/, ''),
  );
}

function decode(bytes: Buffer, source: string): string {
  if (bytes.length === 0) throw new UserError(`PAGE ${source} is empty.`);
  if (bytes.includes(0)) throw new UserError(`PAGE ${source} is binary (it holds NUL bytes), not an HTML or text page.`);
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes).replace(/^\uFEFF/, '');
  return text;
}

function pageFrom(source: string, text: string, form: 'html' | 'text'): Page {
  const lines = form === 'html' ? htmlLines(text) : textLines(text);
  if (!lines.some((line) => line.text !== '')) throw new UserError(`PAGE ${source} holds no text.`);
  return { source, form, lines };
}

/** Collapses runs of whitespace (including no-break spaces) and drops zero-width characters. */
export function collapse(text: string): string {
  return text
    .replace(/[\u200B-\u200D\u2060\uFEFF]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

function textLines(text: string): PageLine[] {
  return text.split(/\r\n|\r|\n/).map((raw, index) => ({ text: collapse(raw), line: index + 1 }));
}

type Node = DefaultTreeAdapterMap['node'];
type Element = DefaultTreeAdapterMap['element'];

const skipped = new Set(['head', 'script', 'style', 'noscript', 'template', 'svg', 'button', 'iframe', 'object']);
const blocks = new Set([
  'address', 'article', 'aside', 'blockquote', 'body', 'dd', 'details', 'div', 'dl', 'dt', 'fieldset', 'figcaption', 'figure', 'footer',
  'form', 'header', 'hr', 'li', 'main', 'nav', 'ol', 'p', 'section', 'summary', 'ul', 'br', 'caption',
]); // prettier-ignore

function isElement(node: Node): node is Element {
  return 'tagName' in node;
}

function startLine(node: Node): number {
  return ('sourceCodeLocation' in node ? node.sourceCodeLocation?.startLine : undefined) ?? 0;
}

/** The text a reader sees in an element: its text nodes in order, `<br>` as a line break. */
function textContent(node: Node): string {
  if (node.nodeName === '#text') return (node as DefaultTreeAdapterMap['textNode']).value;
  if (isElement(node)) {
    if (skipped.has(node.tagName)) return '';
    if (node.tagName === 'br') return '\n';
    return node.childNodes.map(textContent).join('');
  }
  if (node.nodeName === '#document' || node.nodeName === '#document-fragment') return (node as Element).childNodes.map(textContent).join('');
  return '';
}

/** Walks the DOM parse5 builds and emits what a reader sees, block by block, each line with its source line. */
function htmlLines(html: string): PageLine[] {
  const document = parse(html, { sourceCodeLocationInfo: true });
  const lines: PageLine[] = [];
  let inline = '';
  let inlineLine = 0;
  let inlineElement = '';
  const flush = () => {
    for (const part of inline.split('\n')) {
      const text = collapse(part);
      if (text !== '') lines.push({ text, line: inlineLine, element: inlineElement });
    }
    inline = '';
    inlineLine = 0;
    lines.push({ text: '', line: 0 });
  };
  const walk = (node: Node, blockName: string): void => {
    if (node.nodeName === '#text') {
      const value = (node as DefaultTreeAdapterMap['textNode']).value;
      if (inlineLine === 0 && value.trim() !== '') {
        inlineLine = startLine(node);
        inlineElement = blockName;
      }
      inline += value;
      return;
    }
    if (!isElement(node)) {
      if ('childNodes' in node) for (const child of (node as Element).childNodes) walk(child, blockName);
      return;
    }
    const tag = node.tagName;
    if (skipped.has(tag)) return;
    if (/^h[1-6]$/.test(tag)) {
      flush();
      const text = collapse(textContent(node));
      if (text !== '') lines.push({ text, line: startLine(node), element: tag, heading: Number(tag.slice(1)) });
      lines.push({ text: '', line: 0 });
      return;
    }
    if (tag === 'pre') {
      flush();
      const first = startLine(node);
      textContent(node)
        .replace(/^\n/, '')
        .split(/\r\n|\r|\n/)
        .forEach((raw, index) => lines.push({ text: raw.replace(/\s+$/, ''), line: first + index, element: 'pre', code: true }));
      lines.push({ text: '', line: 0 });
      return;
    }
    if (tag === 'table') {
      flush();
      let row = 0;
      const rows = (parent: Element): void => {
        for (const child of parent.childNodes) {
          if (!isElement(child)) continue;
          if (child.tagName === 'tr') {
            row += 1;
            const cells = child.childNodes
              .filter((c): c is Element => isElement(c) && (c.tagName === 'td' || c.tagName === 'th'))
              .map((c) => collapse(textContent(c)));
            lines.push({ text: cells.join(''), cells, line: startLine(child), element: `table row ${row}` });
          } else rows(child);
        }
      };
      rows(node);
      lines.push({ text: '', line: 0 });
      return;
    }
    const isBlock = blocks.has(tag);
    if (isBlock) flush();
    for (const child of node.childNodes) walk(child, isBlock ? tag : blockName);
    if (isBlock) flush();
  };
  walk(document, 'body');
  flush();
  // Collapse runs of breaks to one, as a text rendering would show them.
  return lines.filter((line, index) => line.text !== '' || line.code === true || (index > 0 && lines[index - 1]?.text !== ''));
}
