// Splits a targets file into N shards with Prometheus' own hashmod, so each exporter of a sharded deployment probes its share.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

/**
 * Prometheus' `action: hashmod` (model/relabel/relabel.go): the last 8 bytes of the MD5 of the value, big-endian, modulo
 * `modulus`. The same target name lands on the same shard here and in a relabelling rule, so a /probe job sharded by
 * hashmod and these files agree on which exporter owns a target.
 */
export function prometheusHashmod(value: string, modulus: number): number {
  const digest = crypto.createHash('md5').update(value).digest();
  return Number(digest.readBigUInt64BE(8) % BigInt(modulus));
}

/**
 * Writes `targets-shard-K-of-N.yml` (K = 0 … N-1) next to each other in `outDir`, each holding the targets whose name
 * hashes to K; the entries are copied as they are (token files stay relative to the original file's folder, so the
 * shards are written with absolute token_file paths). Returns the files in shard order.
 */
export function splitTargetsFile(targetsFile: string, shards: number, outDir: string): string[] {
  if (!Number.isInteger(shards) || shards < 1) throw new Error(`the shard count must be a whole number >= 1, not ${shards}`);
  const parsed = YAML.parse(fs.readFileSync(targetsFile, 'utf8')) as { targets?: Array<Record<string, unknown>> };
  const targets = parsed.targets ?? [];
  const buckets: Array<Array<Record<string, unknown>>> = Array.from({ length: shards }, () => []);
  const base = path.dirname(path.resolve(targetsFile));
  for (const target of targets) {
    const name = typeof target.name === 'string' ? target.name : '';
    const copy = { ...target };
    if (typeof copy.token_file === 'string') copy.token_file = path.resolve(base, copy.token_file);
    buckets[prometheusHashmod(name, shards)]!.push(copy);
  }
  fs.mkdirSync(outDir, { recursive: true });
  return buckets.map((bucket, shard) => {
    const file = path.join(outDir, `targets-shard-${shard}-of-${shards}.yml`);
    fs.writeFileSync(file, YAML.stringify({ targets: bucket }));
    return file;
  });
}

if (require.main === module) {
  // tsx monitors/scale-out/shard.ts TARGETS.yml N OUTDIR
  const [file, count, outDir] = process.argv.slice(2);
  if (!file || !count || !outDir) {
    process.stderr.write('usage: tsx monitors/scale-out/shard.ts TARGETS.yml SHARDS OUTDIR\n');
    process.exit(2);
  }
  for (const written of splitTargetsFile(file, Number(count), outDir)) process.stdout.write(`${written}\n`);
}
