// What a gate run left behind, opened all the way down (zips, traces, the HTML report's embedded zip), and what its processes weighed.
import fs from 'node:fs';
import path from 'node:path';
import AdmZip from 'adm-zip';

export interface ArtifactText {
  /** The file, with `!entry` for each archive level opened to reach the text. */
  file: string;
  text: string;
}

const embeddedZip = /data:application\/zip;base64,([A-Za-z0-9+/=]+)/g;

/**
 * Every readable text under a folder: zip archives (traces, the HTML report's data) are opened entry by entry, and the
 * base64 zip the HTML report embeds in its index.html is decoded and opened too.
 */
export function artifactTexts(dir: string): ArtifactText[] {
  const out: ArtifactText[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    collect(file, fs.readFileSync(file), out, 0);
  }
  return out;
}

function collect(name: string, bytes: Buffer, out: ArtifactText[], depth: number): void {
  if (depth < 4 && bytes[0] === 0x50 && bytes[1] === 0x4b) {
    for (const zipped of new AdmZip(bytes).getEntries()) {
      if (!zipped.isDirectory) collect(`${name}!${zipped.entryName}`, zipped.getData(), out, depth + 1);
    }
    return;
  }
  const text = bytes.toString('latin1');
  out.push({ file: name, text });
  if (depth < 4) {
    for (const match of text.matchAll(embeddedZip)) collect(`${name}!embedded-zip`, Buffer.from(match[1] ?? '', 'base64'), out, depth + 1);
  }
}

/** The files whose text holds any of the needles (each needle is checked as given; pass every encoded form you care about). */
export function filesHolding(texts: ReadonlyArray<ArtifactText>, needles: ReadonlyArray<string>): string[] {
  return texts.filter((t) => needles.some((needle) => t.text.includes(needle))).map((t) => t.file);
}

/** The forms a token can take in a text: as is, URL-encoded, JSON-escaped (`\/`) and base64 (whole and at each alignment). */
export function tokenForms(token: string): string[] {
  const forms = new Set([token, encodeURIComponent(token), JSON.stringify(token).slice(1, -1).replace(/\//g, '\\/')]);
  // base64 of a token inside a longer text depends on its offset modulo 3: for each alignment, take the 3-byte blocks
  // that hold only token bytes, whose base64 is the same whatever surrounds the token.
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.from(`${'x'.repeat(shift)}${token}`).toString('base64');
    forms.add(encoded.slice(Math.ceil(shift / 3) * 4, Math.floor((shift + token.length) / 3) * 4));
  }
  return [...forms].filter((form) => form.length >= 8);
}

/** Samples the summed RSS of every process descended from `rootPid` (itself excluded) from /proc, until stopped. */
export function sampleTreeRss(rootPid: number, everyMs = 50): { stop(): number } {
  let peak = 0;
  const sample = (): void => {
    let total = 0;
    for (const pid of descendants(rootPid)) total += rssBytes(pid);
    peak = Math.max(peak, total);
  };
  const timer = setInterval(sample, everyMs);
  return {
    stop(): number {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

/** Whether /proc can be sampled here (Linux). */
export function canSampleRss(): boolean {
  return fs.existsSync('/proc/self/status');
}

function descendants(rootPid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // exited between the listing and the read
    }
    // Fields after the command name (which may hold spaces and parentheses): state, ppid, …
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(name));
    children.set(ppid, list);
  }
  const out: number[] = [];
  const queue = [...(children.get(rootPid) ?? [])];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

function rssBytes(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}
