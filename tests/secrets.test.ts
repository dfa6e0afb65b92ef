// The token never leaks: run the gate with traces on and a distinctive token, then grep every artifact and every line it printed.
import fs from 'node:fs';
import path from 'node:path';
import AdmZip from 'adm-zip';
import { test, expect } from '@playwright/test';
import { startSimulator } from '../simulator/server';
import { remoteTargetEnv, repoRoot, runGate } from './helpers/run-gate';

const primaryToken = 'LeakCanary_primary_7d1f0c9e2b';
const disposableToken = 'LeakCanary_disposable_93ab51';

/** Every readable text under a folder, with zip archives (traces, HTML report data) opened entry by entry. */
function artifactTexts(dir: string): Array<{ file: string; text: string }> {
  const out: Array<{ file: string; text: string }> = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const bytes = fs.readFileSync(file);
    if (bytes[0] === 0x50 && bytes[1] === 0x4b) {
      for (const zipped of new AdmZip(bytes).getEntries()) out.push({ file: `${file}!${zipped.entryName}`, text: zipped.getData().toString('latin1') });
    } else {
      out.push({ file, text: bytes.toString('latin1') });
    }
  }
  return out;
}

for (const mode of ['faithful', 'retyped-field'] as const) {
  test(`no report, trace, attachment or log line holds the token (real-target path, ${mode} target, traces on)`, async () => {
    const simulator = await startSimulator({ mode, tokens: { cust_abc123: primaryToken, cust_disposable789: disposableToken } });
    try {
      const run = await runGate({
        reportsDir: path.join(repoRoot, 'reports', 'self-test', `secrets-${mode}`),
        args: ['--trace', 'on'],
        // The canary tokens reach the gate the way a real target's would: through API_TOKEN and API_DELETE_TOKEN.
        env: remoteTargetEnv(simulator.baseUrl, simulator.customers),
      });
      expect(run.exitCode, `the gate ${mode === 'faithful' ? 'passes' : 'fails'} against ${mode}`).toBe(mode === 'faithful' ? 0 : 1);
      const texts = artifactTexts(run.reportsDir);
      expect(texts.some((t) => t.file.endsWith('trace.trace') || t.file.includes('.trace')), 'the run left traces to inspect').toBe(true);
      expect(texts.some((t) => t.file.endsWith('junit.xml'))).toBe(true);
      texts.push({ file: 'stdout', text: run.stdout }, { file: 'stderr', text: run.stderr });
      const leaks = texts.filter((t) => t.text.includes('LeakCanary')).map((t) => t.file);
      expect(leaks, 'files holding a token').toEqual([]);
      // The canary must really have been sent: the simulator only answers 200 to it.
      expect(run.results?.stats.expected).toBeGreaterThan(10);
    } finally {
      await simulator.stop();
    }
  });
}
