// npm run docs:check -- PAGE: the vendor's docs page against the contract's documented parts (tools/docs-check/run.ts).
import { runDocsCheck } from './docs-check/run';

void runDocsCheck(process.argv.slice(2), process.env, {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
}).then((code) => process.exit(code));
