// Reads a `node --cpu-prof` profile into its costliest functions by self time: what the benchmarks quote when a goal is missed.
import fs from 'node:fs';
import path from 'node:path';

const repoPrefix = `${path.resolve(__dirname, '..')}/`;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** One function's share of the sampled CPU time. */
export interface ProfileCost {
  /** `name (file:line)`, the file relative to the repository or node_modules. */
  where: string;
  selfMs: number;
  /** Of all sampled time, idle excluded. */
  share: number;
}

/** The functions with the most self time in a .cpuprofile (idle, program and GC are named as V8 names them). */
export function topCosts(profileFile: string, count = 10): ProfileCost[] {
  const profile = JSON.parse(fs.readFileSync(profileFile, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  // Each sample's time is the delta to the next sample.
  for (let i = 0; i < samples.length; i++) {
    const next = deltas[i + 1] ?? 0;
    selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + next);
  }
  const byFunction = new Map<string, number>();
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)') continue;
    busyUs += us;
    const where = `${frame.functionName || '(anonymous)'} (${shortUrl(frame.url)}${frame.url ? `:${frame.lineNumber + 1}` : ''})`;
    byFunction.set(where, (byFunction.get(where) ?? 0) + us);
  }
  return [...byFunction.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([where, us]) => ({ where, selfMs: Math.round(us / 100) / 10, share: busyUs > 0 ? us / busyUs : 0 }));
}

/**
 * The main thread's .cpuprofile in a folder: node writes one per thread (tsx's module-loader thread has its own, small
 * one), so the largest is the program's.
 */
export function mainThreadProfile(dir: string): string | undefined {
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')) : [];
  return files.map((f) => path.join(dir, f)).sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0];
}

function shortUrl(url: string): string {
  const clean = url.replace(/^file:\/\//, '');
  const modules = clean.lastIndexOf('node_modules/');
  if (modules >= 0) return clean.slice(modules);
  return clean.startsWith(repoPrefix) ? clean.slice(repoPrefix.length) : clean || 'native';
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: tsx tools/cpu-profile.ts FILE.cpuprofile [COUNT]\n');
    process.exit(2);
  }
  for (const cost of topCosts(file, Number(process.argv[3] ?? 15))) {
    process.stdout.write(`${(cost.share * 100).toFixed(1).padStart(5)} %  ${String(cost.selfMs).padStart(8)} ms  ${cost.where}\n`);
  }
}
