// npm test's static checks (type-check, ESLint, Prettier, OpenAPI lint) at the same time rather than one after the other:
// each prints its output once it is done, with its time; exit 1 if any failed.
import { spawn } from 'node:child_process';
import path from 'node:path';

const repoRoot = path.resolve(__dirname, '..');
/** The package.json scripts, in the order their output is printed. */
const steps = ['typecheck', 'lint', 'format:check', 'lint:openapi'];

interface StepResult {
  step: string;
  code: number | null;
  seconds: number;
  output: string;
}

function run(step: string): Promise<StepResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', step], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', (error) => (output += `${error.message}\n`));
    child.on('close', (code) => resolve({ step, code, seconds: (performance.now() - started) / 1000, output }));
  });
}

async function main(): Promise<number> {
  const started = performance.now();
  const results = await Promise.all(steps.map(run));
  for (const { step, code, seconds, output } of results) {
    process.stdout.write(`${code === 0 ? 'ok  ' : 'FAIL'} npm run ${step} (${seconds.toFixed(1)} s)${code === 0 ? '' : `, exit ${code ?? 'by a signal'}`}\n`);
    if (output.trim()) process.stdout.write(`${output.trimEnd()}\n`);
  }
  const failed = results.filter((result) => result.code !== 0).map((result) => result.step);
  process.stdout.write(
    `checks: ${failed.length === 0 ? 'all passed' : `${failed.join(', ')} failed`} in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
  );
  return failed.length === 0 ? 0 : 1;
}

void main().then((code) => process.exit(code));
