// `npm run build`, after tsc: the files the compiled exporter reads beside its code (the OpenAPI document, the standalone validators).
import fs from 'node:fs';
import path from 'node:path';
import { standaloneFingerprint } from '../contract';
const repoRoot = path.resolve(__dirname, '..');
const dist = path.join(repoRoot, 'dist');

/**
 * The standalone validators carry a fingerprint of the document, the compile path's source files and the package versions
 * (contract/standalone.ts); compiled, those sources are the .js files under dist/, so the copy gets the fingerprint
 * loadContract() computes there. Only when the source's own module is current: a stale one is copied unchanged and the compiled
 * exporter builds its validators at start-up (slower, never wrong).
 */
function copyValidators(): string {
  const source = fs.readFileSync(path.join(repoRoot, 'contract', 'validators.generated.js'), 'utf8');
  const documentBytes = fs.readFileSync(path.join(repoRoot, 'openapi', 'customer-management.yaml'));
  const line = /^exports\.fingerprint = "([0-9a-f]{64})";$/m;
  const current = line.exec(source)?.[1] === standaloneFingerprint(documentBytes, repoRoot, '.ts');
  const out = current ? source.replace(line, `exports.fingerprint = "${standaloneFingerprint(documentBytes, dist, '.js')}";`) : source;
  fs.writeFileSync(path.join(dist, 'contract', 'validators.generated.js'), out);
  return current ? 'precompiled validators' : 'validators compiled at start-up (contract/validators.generated.js is stale: run `npm run contract:validators`)';
}

function main(): void {
  const cli = path.join(dist, 'monitors', 'exporter', 'cli.js');
  if (!fs.existsSync(cli)) throw new Error(`${path.relative(repoRoot, cli)} is missing: run tsc -p tsconfig.build.json first`);
  fs.mkdirSync(path.join(dist, 'openapi'), { recursive: true });
  fs.copyFileSync(path.join(repoRoot, 'openapi', 'customer-management.yaml'), path.join(dist, 'openapi', 'customer-management.yaml'));
  const validators = copyValidators();
  fs.chmodSync(cli, 0o755);
  process.stdout.write(`built ${path.relative(repoRoot, cli)} (${validators}); run it with: node ${path.relative(repoRoot, cli)}\n`);
}

main();
