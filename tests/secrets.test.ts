// The token never leaks: run the gate with traces on and a distinctive token, then grep every artifact and every line it printed.
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { startSimulator } from '../simulator/server';
import { artifactTexts, filesHolding, tokenForms } from './helpers/artifacts';
import { remoteTargetEnv, repoRoot, runGate } from './helpers/run-gate';

const primaryToken = 'LeakCanary_primary_7d1f0c9e2b';
const disposableToken = 'LeakCanary_disposable_93ab51';

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
      expect(
        texts.some((t) => t.file.endsWith('trace.trace') || t.file.includes('.trace')),
        'the run left traces to inspect',
      ).toBe(true);
      expect(texts.some((t) => t.file.endsWith('junit.xml'))).toBe(true);
      texts.push({ file: 'stdout', text: run.stdout }, { file: 'stderr', text: run.stderr });
      expect(
        texts.some((t) => t.file.includes('embedded-zip')),
        "the HTML report's embedded data was opened",
      ).toBe(true);
      const leaks = filesHolding(texts, ['LeakCanary', ...tokenForms(primaryToken), ...tokenForms(disposableToken)]);
      expect(leaks, 'files holding a token').toEqual([]);
      // The canary must really have been sent: the simulator only answers 200 to it.
      expect(run.results?.stats.expected).toBeGreaterThan(10);
    } finally {
      await simulator.stop();
    }
  });
}
