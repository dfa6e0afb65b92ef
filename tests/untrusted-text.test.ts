// The untrusted-text encoders as properties over any string: what each output format gets can never be more than text.
import { test, expect } from '@playwright/test';
import fc from 'fast-check';
import MarkdownIt from 'markdown-it';
import { SaxesParser } from 'saxes';
import { boundMarkdown, clip, escapeControls, logFileText, markdownCode, markdownText, terminalLines, terminalText, xmlCharacters } from '../contract';

const markdown = new MarkdownIt({ html: true, linkify: true });
/** Strings rich in what attacks each format: markup, commands, controls, surrogates, non-characters. */
const hostileText = fc.string({
  unit: fc.oneof(
    fc.constantFrom('`', '|', '\\', '<', '>', '[', ']', '(', ')', '!', '#', '*', '_', '~', ':', '.', '@', '$', '&', ' ', 'h', 't', 'p', 's', 'w'),
    fc.constantFrom('::', '##[', 'https://', 'www.', '<img src=x>', '\r', '\n', '\r\n', '\u001b', '\u0085', '\u2028', '\u2029', '\ufffe', '\uffff'),
    fc.constantFrom('\ud800', '\udc00', '\ud83d\ude00', '\u202e', '\u0000', '\u0007', '\u009b'),
    fc.string({ unit: 'binary', maxLength: 3 }),
  ),
  maxLength: 60,
});
const unsafe =
  /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The inline tokens of one paragraph of Markdown (block tokens must be just that paragraph). */
function inlineTokens(text: string): { blocks: string[]; inline: Array<{ type: string; content: string }> } {
  const tokens = markdown.parse(text, {});
  return {
    blocks: tokens.map((t) => t.type),
    inline: tokens.flatMap((t) => t.children ?? []).map((t) => ({ type: t.type, content: t.content })),
  };
}

test('markdownCode: any text is exactly one code span holding the text, its controls escaped', () => {
  fc.assert(
    fc.property(hostileText, (text) => {
      const { blocks, inline } = inlineTokens(`x ${markdownCode(text)} y`);
      expect(blocks).toEqual(['paragraph_open', 'inline', 'paragraph_close']);
      const spans = inline.filter((t) => t.type === 'code_inline');
      expect(spans.length).toBe(1);
      expect(inline.filter((t) => t.type !== 'text' && t.type !== 'code_inline')).toEqual([]);
      expect(spans[0]!.content).toBe(escapeControls(text) || ' ');
    }),
    { numRuns: 500 },
  );
});

test('markdownCode in a table cell: the row keeps its cells whatever the text holds', () => {
  fc.assert(
    fc.property(hostileText, (text) => {
      const tokens = markdown.parse(`| a | b |\n|---|---|\n| ${markdownCode(text, { cell: true })} | end |\n`, {});
      const cells = tokens.filter((t) => t.type === 'td_open').length;
      expect(cells).toBe(2);
      const last = tokens.filter((t) => t.type === 'inline').at(-1);
      expect(last?.content).toBe('end');
    }),
    { numRuns: 300 },
  );
});

test('markdownText: any text renders as plain text: no HTML, link, image, emphasis, code or heading', () => {
  fc.assert(
    fc.property(hostileText, (text) => {
      const { blocks, inline } = inlineTokens(`x ${markdownText(text)} y`);
      expect(blocks).toEqual(['paragraph_open', 'inline', 'paragraph_close']);
      expect(inline.filter((t) => t.type !== 'text' && t.type !== 'text_special')).toEqual([]);
    }),
    { numRuns: 500 },
  );
});

test('terminalText and terminalLines: no control, no ##[, no line that starts with ::', () => {
  const safeLine = (line: string): boolean => !unsafe.test(line) && !line.includes('##[') && !line.trimStart().startsWith('::');
  fc.assert(
    fc.property(
      hostileText,
      fc.string({ unit: fc.constantFrom(' ', '\t', '\u00a0', '\u3000'), maxLength: 3 }),
      (text, indent) => safeLine(terminalText(`${indent}${text}`)) && terminalLines(`${indent}${text}\n${indent}${text}`).split('\n').every(safeLine),
    ),
    { numRuns: 500 },
  );
});

test('xmlCharacters and logFileText: a strict XML 1.0 parser accepts any text once markup is escaped', () => {
  fc.assert(
    fc.property(hostileText, (text) => {
      for (const safe of [xmlCharacters(text), logFileText(text)]) {
        const errors: string[] = [];
        const parser = new SaxesParser({ xmlns: false });
        parser.on('error', (error) => errors.push(error.message));
        parser.write(`<a t="${safe.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`)}"><![CDATA[${safe.replace(/]]>/g, ']]]]><![CDATA[>')}]]></a>`).close();
        expect(errors).toEqual([]);
      }
    }),
    { numRuns: 500 },
  );
});

test('clip and boundMarkdown: cut to the bound, saying so', () => {
  expect(clip('abcdef', 4)).toBe('abcd… (2 more characters)');
  expect(clip('abc', 4)).toBe('abc');
  expect(clip('a\ud83d\ude00b', 2), 'a surrogate pair is not split').toBe('a… (3 more characters)');
  const long = ['## Title', '', '<details><summary>x</summary>', '', '```sh', ...Array.from({ length: 5000 }, (_, i) => `line ${i} ${'x'.repeat(100)}`)].join(
    '\n',
  );
  const bounded = boundMarkdown(long, 64 * 1024, 'drift.json');
  expect(Buffer.byteLength(bounded)).toBeLessThanOrEqual(64 * 1024);
  expect(bounded).toMatch(/\*\*Cut here:\*\* this report stops at 64 KiB; [\d,]+ more bytes are not shown \(see drift\.json\)\.\n$/);
  expect(bounded.match(/^```/gm)?.length, 'the open fence is closed').toBe(2);
  expect(bounded).toContain('</details>');
  expect(boundMarkdown('short\n', 1024, 'x')).toBe('short\n');
});
