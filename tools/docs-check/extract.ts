// What the vendor's page states, read from its lines by their labels (Base URL, Headers, Query Parameters, …) in any order.
import { isMap, isScalar, isSeq, parseDocument, type Node as YamlNode } from 'yaml';
import type { PageLine } from './read-page';

/** Where something is on the page: the section it sits in, the source line, the element (HTML) and the text there. */
export interface PageLocation {
  section: string;
  line: number;
  element?: string;
  text: string;
}

export interface PageHeader {
  name: string;
  value: string;
  at: PageLocation;
}

export interface PageQueryParameter {
  name: string;
  /** As written: `String`. */
  type: string;
  required: boolean;
  description: string;
  at: PageLocation;
}

export interface PageCurl {
  method: string;
  url: string;
  headers: { name: string; value: string }[];
  at: PageLocation;
}

export interface PageExample {
  /** The status the example is for (200 unless the label names one). */
  status: number;
  /** The parsed JSON, or undefined when it does not parse. */
  value?: unknown;
  /** Why it does not parse. */
  error?: string;
  /** The source line of each JSON pointer in the example (`/data/plan/type` → 31). */
  lines: Map<string, number>;
  at: PageLocation;
}

export interface PageStatus {
  code: number;
  description: string;
  at: PageLocation;
}

export interface PageOperation {
  method: string;
  path: string;
  /** The section title before the operation line. */
  title: string;
  at: PageLocation;
  headers: PageHeader[];
  query: PageQueryParameter[];
  requests: PageCurl[];
  examples: PageExample[];
  /** A status table inside the operation's section, when it has its own. */
  statuses: PageStatus[];
}

export interface PageFacts {
  title?: string;
  baseUrl?: { url: string; at: PageLocation };
  operations: PageOperation[];
  /** The page-wide status table. */
  statuses: PageStatus[];
  statusTableAt?: PageLocation;
}

const methods = 'GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS';
const operationLine = new RegExp(`^(${methods})\\s+(/\\S*)$`);

type Label = 'base' | 'headers' | 'query' | 'path' | 'request' | 'response' | 'statuses' | 'operation-statuses';

/** The labels the page's sections carry, and the variants a docs site might use. */
export function labelOf(text: string): { label: Label; status?: number } | undefined {
  const t = text.replace(/:$/, '').trim().toLowerCase();
  if (/^base url$/.test(t)) return { label: 'base' };
  if (/^(request )?headers$/.test(t)) return { label: 'headers' };
  if (/^query( string)? param(eter)?s$/.test(t)) return { label: 'query' };
  if (/^path param(eter)?s$/.test(t)) return { label: 'path' };
  if (/^(example|sample) (request|curl)$|^request example$/.test(t)) return { label: 'request' };
  const response = /^(?:(?:example|sample|successful) )?response(?: body| example)?(?: \(?(\d{3})\)?)?$/.exec(t);
  if (response) return response[1] ? { label: 'response', status: Number(response[1]) } : { label: 'response' };
  // "HTTP Status Codes" is a section of the page (every operation); "Response Codes" inside an operation is its own.
  if (/^(http )?status codes$/.test(t)) return { label: 'statuses' };
  if (/^(response|error) codes$/.test(t)) return { label: 'operation-statuses' };
  return undefined;
}

/** A line that titles a section in a text rendering: short, Title Case, no sentence punctuation, not a label. */
function isTitle(line: PageLine): boolean {
  if (line.heading !== undefined) return true;
  if (line.element !== undefined && line.element !== 'p' && line.element !== 'div' && line.element !== 'body') return false;
  if (line.code || line.cells) return false;
  const text = line.text;
  if (text === '' || text.length > 60 || /[.:;,!?{}"'<>[\]]$/.test(text) || /[{}"<>=]/.test(text)) return false;
  if (labelOf(text) || operationLine.test(text)) return false;
  const words = text.split(' ');
  return words.length <= 8 && /^[A-Z]/.test(text) && words.every((word) => word.length < 4 || /^[A-Z0-9(]/.test(word));
}

/** Reads the page's facts; the caller decides whether it is the vendor's page at all. */
export function extractFacts(lines: readonly PageLine[]): PageFacts {
  const facts: PageFacts = { operations: [], statuses: [] };
  let section = '';
  let current: PageOperation | undefined;
  const at = (index: number, sectionName = current?.title ?? section): PageLocation => {
    const line = lines[index];
    return { section: sectionName || '(top of the page)', line: line?.line ?? 0, ...(line?.element ? { element: line.element } : {}), text: line?.text ?? '' };
  };

  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    if (line.text === '' || line.code) continue;
    const operation = operationLine.exec(line.text);
    if (operation) {
      current = {
        method: operation[1]!,
        path: operation[2]!,
        title: section,
        at: at(index, section),
        headers: [],
        query: [],
        requests: [],
        examples: [],
        statuses: [],
      };
      facts.operations.push(current);
      continue;
    }
    const label = labelOf(line.text);
    if (!label) {
      if (isTitle(line)) {
        facts.title ??= line.text;
        section = line.text;
        // A new section that is not an operation's own ends the operation (an unrelated section is not read into it).
        current = undefined;
      }
      continue;
    }
    switch (label.label) {
      case 'base': {
        const block = nextBlock(lines, index + 1);
        const url = block.find((i) => /^https?:\/\/\S+$/.test(lines[i]!.text));
        if (url !== undefined) facts.baseUrl = { url: lines[url]!.text, at: at(url, 'Base URL') };
        index = Math.max(index, (block.at(-1) ?? index) - 0);
        break;
      }
      case 'headers': {
        const rows = tableRows(lines, index + 1, ['header', 'value']);
        if (current) for (const row of rows.rows) current.headers.push(headerRow(row.cells, at(row.index)));
        index = rows.end;
        break;
      }
      case 'query': {
        const rows = tableRows(lines, index + 1, ['parameter', 'name', 'type', 'required', 'description']);
        if (current) {
          for (const row of rows.rows) {
            const parameter = queryRow(row.cells, rows.columns, at(row.index));
            if (parameter) current.query.push(parameter);
          }
        }
        index = rows.end;
        break;
      }
      case 'path': {
        index = tableRows(lines, index + 1, ['parameter', 'name', 'type', 'required', 'description']).end;
        break;
      }
      case 'statuses':
      case 'operation-statuses': {
        if (label.label === 'statuses') current = undefined;
        const rows = tableRows(lines, index + 1, ['code', 'status', 'description']);
        const statuses: PageStatus[] = [];
        for (const row of rows.rows) {
          const status = statusRow(row.cells, at(row.index, current?.title ?? line.text));
          if (status) statuses.push(status);
        }
        if (current) current.statuses.push(...statuses);
        else {
          facts.statuses.push(...statuses);
          facts.statusTableAt = at(index, line.text);
        }
        index = rows.end;
        break;
      }
      case 'request': {
        const block = nextBlock(lines, index + 1);
        if (current && block.length > 0) {
          const curl = parseCurl(block.map((i) => lines[i]!.text).join('\n'));
          if (curl) current.requests.push({ ...curl, at: at(block[0]!) });
        }
        index = block.at(-1) ?? index;
        break;
      }
      case 'response': {
        const json = jsonBlock(lines, index + 1);
        if (current && json) current.examples.push({ status: label.status ?? 200, ...json.example, at: at(json.first) });
        if (json) index = json.last;
        break;
      }
    }
  }
  return facts;
}

/** The indexes of the next block: blank lines skipped, then consecutive lines up to a break (a code block is one block). */
function nextBlock(lines: readonly PageLine[], from: number): number[] {
  let index = from;
  while (index < lines.length && lines[index]!.text === '' && !lines[index]!.code) index++;
  const block: number[] = [];
  const code = lines[index]?.code === true;
  while (index < lines.length) {
    const line = lines[index]!;
    if (code ? line.code !== true : line.text === '' || labelOf(line.text) !== undefined) break;
    if (line.text !== '') block.push(index);
    index++;
  }
  return block;
}

type Row = { cells: string[]; index: number };

/** A table after a label: its header row names the columns (cells in HTML, run together in text), the rows follow. */
function tableRows(lines: readonly PageLine[], from: number, columnNames: string[]): { columns: string[]; rows: Row[]; end: number } {
  const block = nextBlock(lines, from);
  const first = block[0];
  if (first === undefined) return { columns: [], rows: [], end: from - 1 };
  const header = lines[first]!;
  const columns = header.cells ? header.cells.map((c) => c.toLowerCase()) : splitHeader(header.text, columnNames);
  if (columns.length === 0) return { columns, rows: [], end: from - 1 };
  const rows = block.slice(1).map((index) => ({ index, cells: lines[index]!.cells ?? [lines[index]!.text] }));
  return { columns, rows, end: block.at(-1) ?? first };
}

/** `ParameterTypeRequiredDescription` → its column names, when it is made of them only. */
function splitHeader(text: string, names: string[]): string[] {
  const columns: string[] = [];
  let rest = text.replace(/\s+/g, '').toLowerCase();
  while (rest !== '') {
    const name = names.find((n) => rest.startsWith(n));
    if (!name) return [];
    columns.push(name);
    rest = rest.slice(name.length);
  }
  return columns;
}

const knownHeaders = ['Authorization', 'Content-Type', 'Accept', 'X-API-Key', 'X-Api-Key', 'User-Agent', 'Idempotency-Key'];

function headerRow(cells: string[], at: PageLocation): PageHeader {
  if (cells.length >= 2) return { name: cells[0]!, value: cells.slice(1).join(' '), at };
  const text = cells[0] ?? '';
  const known = knownHeaders.find((name) => text.toLowerCase().startsWith(name.toLowerCase()));
  if (known) return { name: text.slice(0, known.length), value: text.slice(known.length).trim(), at };
  // Run together: the name ends where a lower-case letter meets an upper-case one or a `<`.
  const split = /^([A-Za-z][A-Za-z0-9-]*?[a-z0-9])(?=[A-Z<{]|\s)(.*)$/.exec(text);
  return split ? { name: split[1]!, value: split[2]!.trim(), at } : { name: text, value: '', at };
}

const typeWords = 'String|Integer|Number|Boolean|Array|Object|Int|Float|Double|DateTime|Date';
const requiredWords = 'Yes|No|Required|Optional|True|False';

function queryRow(cells: string[], columns: string[], at: PageLocation): PageQueryParameter | undefined {
  const named: Record<string, string> = {};
  if (cells.length > 1) {
    columns.forEach((column, i) => (named[column === 'name' ? 'parameter' : column] = cells[i] ?? ''));
  } else {
    // Run together in the order of the header row: the type and required words are the anchors.
    const pattern = columns
      .map((column) =>
        column === 'type' ? `(${typeWords})` : column === 'required' ? `(${requiredWords})` : column === 'description' ? '(.*?)' : '([A-Za-z_][\\w.[\\]-]*?)',
      )
      .join('\\s*');
    const match = new RegExp(`^${pattern}$`).exec(cells[0] ?? '');
    if (!match) return undefined;
    columns.forEach((column, i) => (named[column === 'name' ? 'parameter' : column] = match[i + 1] ?? ''));
  }
  const name = named.parameter?.trim();
  if (!name) return undefined;
  return {
    name,
    type: named.type?.trim() ?? '',
    required: /^(yes|required|true)$/i.test(named.required?.trim() ?? ''),
    description: named.description?.trim() ?? '',
    at,
  };
}

function statusRow(cells: string[], at: PageLocation): PageStatus | undefined {
  const text = cells.join(' ').trim();
  const match = /^(\d{3})(?!\d)\s*(.*)$/.exec(text);
  return match ? { code: Number(match[1]), description: match[2]!.trim(), at } : undefined;
}

/** The words of a shell command line (single and double quotes, backslash escapes, backslash-newline continuations). */
export function shellWords(command: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word = (word ?? '') + c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && i + 1 < command.length && '"\\$`'.includes(command[i + 1]!)) word = (word ?? '') + command[++i]!;
      else word = (word ?? '') + c;
    } else if (c === '\\' && command[i + 1] === '\n') i++;
    else if (c === '\\' && i + 1 < command.length) word = (word ?? '') + command[++i]!;
    else if (c === "'" || c === '"') {
      quote = c;
      word ??= '';
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else word = (word ?? '') + c;
  }
  if (word !== undefined) words.push(word);
  return words;
}

function parseCurl(text: string): Omit<PageCurl, 'at'> | undefined {
  const words = shellWords(text);
  if (words[0] !== 'curl') return undefined;
  let method: string | undefined;
  let url = '';
  const headers: PageCurl['headers'] = [];
  let hasData = false;
  for (let i = 1; i < words.length; i++) {
    const word = words[i]!;
    if (word === '-X' || word === '--request') method = words[++i]?.toUpperCase();
    else if (word === '-H' || word === '--header') {
      const header = words[++i] ?? '';
      const colon = header.indexOf(':');
      if (colon > 0) headers.push({ name: header.slice(0, colon).trim(), value: header.slice(colon + 1).trim() });
    } else if (/^(-d|--data(-raw|-binary)?|--json)$/.test(word)) {
      hasData = true;
      i++;
    } else if (word === '--url') url = words[++i] ?? '';
    else if (/^https?:\/\//.test(word)) url = word;
  }
  return { method: method ?? (hasData ? 'POST' : 'GET'), url, headers };
}

/** The JSON value that starts after a label, however its lines are broken; its lines mapped to JSON pointers. */
function jsonBlock(
  lines: readonly PageLine[],
  from: number,
): { example: Pick<PageExample, 'value' | 'error' | 'lines'>; first: number; last: number } | undefined {
  let index = from;
  while (index < lines.length && lines[index]!.text.trim() === '') index++;
  const first = index;
  if (!/^\s*[{[]/.test(lines[first]?.text ?? '')) return undefined;
  const taken: number[] = [];
  let depth = 0;
  let inString = false;
  let escaped = false;
  for (; index < lines.length && taken.length < 5000; index++) {
    const text = lines[index]!.text;
    if (text.trim() === '' && !inString) continue;
    if (labelOf(text) && !inString && depth > 0 && taken.length > 0) break;
    taken.push(index);
    for (const c of text) {
      if (inString) {
        if (escaped) escaped = false;
        else if (c === '\\') escaped = true;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') depth--;
    }
    if (depth <= 0 && !inString) break;
  }
  const joined = taken.map((i) => lines[i]!.text).join('\n');
  // A rendering may wrap a long string value: a line break inside a string is read as a space (same length, same offsets).
  const repaired = repairStringBreaks(joined);
  const pointerLines = new Map<string, number>();
  const lineOf = (offset: number): number => lines[taken[joined.slice(0, offset).split('\n').length - 1] ?? first]?.line ?? 0;
  try {
    const value: unknown = JSON.parse(repaired);
    const document = parseDocument(repaired);
    mapPointers(document.contents, '', lineOf, pointerLines);
    return { example: { value, lines: pointerLines }, first, last: taken.at(-1) ?? first };
  } catch (error) {
    return { example: { error: error instanceof Error ? error.message : String(error), lines: pointerLines }, first, last: taken.at(-1) ?? first };
  }
}

function repairStringBreaks(text: string): string {
  let out = '';
  let inString = false;
  let escaped = false;
  for (const c of text) {
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
      out += c === '\n' ? ' ' : c;
    } else {
      if (c === '"') inString = true;
      out += c;
    }
  }
  return out;
}

function mapPointers(node: YamlNode | null, pointer: string, lineOf: (offset: number) => number, out: Map<string, number>): void {
  if (!node) return;
  if (node.range) out.set(pointer, lineOf(node.range[0]));
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      const child = `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (isScalar(pair.key) && pair.key.range) out.set(child, lineOf(pair.key.range[0]));
      mapPointers(pair.value as YamlNode | null, child, lineOf, out);
      if (isScalar(pair.key) && pair.key.range) out.set(child, lineOf(pair.key.range[0]));
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => mapPointers(item as YamlNode | null, `${pointer}/${i}`, lineOf, out));
  }
}
