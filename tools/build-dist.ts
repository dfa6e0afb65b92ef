// `npm run build`, after tsc: the files the compiled exporter reads beside its code (the OpenAPI document, the standalone validators).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
const repoRoot = path.resolve(__dirname, '..');
const dist = path.join(repoRoot, 'dist');

/**
 * The standalone validators carry a fingerprint of the document, contract/validators.ts and the ajv versions; compiled,
 * that source is dist/contract/validators.js, so the copy gets the fingerprint loadContract() computes there. Only
 * when the source's own module is current: a stale one is copied unchanged and the compiled exporter builds its
 * validators at start-up (slower, never wrong).
 */
function copyValidators(): string {
  const source = fs.readFileSync(path.join(repoRoot, 'contract', 'validators.generated.js'), 'utf8');
  const documentBytes = fs.readFileSync(path.join(repoRoot, 'openapi', 'customer-management.yaml'));
  const fingerprint = (code: Buffer): string => {
    const hash = crypto.createHash('sha256');
    hash.update(documentBytes).update('\0').update(code).update('\0');
    for (const pkg of ['ajv', 'ajv-formats']) {
      const manifest = JSON.parse(fs.readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')) as { version?: unknown };
      hash.update(`${pkg}@${String(manifest.version)}\0`);
    }
    return hash.digest('hex');
  };
  const line = /^exports\.fingerprint = "([0-9a-f]{64})";$/m;
  const current = line.exec(source)?.[1] === fingerprint(fs.readFileSync(path.join(repoRoot, 'contract', 'validators.ts')));
  const compiled = fs.readFileSync(path.join(dist, 'contract', 'validators.js'));
  const out = current ? source.replace(line, `exports.fingerprint = "${fingerprint(compiled)}";`) : source;
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
