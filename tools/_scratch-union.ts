import { loadContract } from '../contract';
import { defaultRunSeed } from '../contract/generators';
import { simulatorModeNames, simulatorModeSpec } from '../simulator/modes';
import { startSimulator } from '../simulator/server';
import { deleteDisposable, drawCases, gatingFinding, sendCase, simulatorGenerationTarget } from './generated-replay';
async function main() {
  const examples = Number(process.argv[2] ?? 15);
  const seeds = process.argv[3] ? process.argv[3].split(',').map(Number) : [defaultRunSeed(loadContract().document)];
  const modes = simulatorModeNames.filter((m) => simulatorModeSpec(m).gate.verdict === 'fails');
  for (const seed of seeds) {
    const caught: string[] = [];
    let n = 0;
    for (const mode of modes) {
      const sim = await startSimulator({ mode, latencyMs: 0, errorRate: 0 });
      const cases = drawCases(seed, examples, simulatorGenerationTarget(sim));
      n = cases.length;
      let hit = false;
      for (const phase of ['before', 'after']) {
        if (phase === 'after') await deleteDisposable(sim);
        for (const d of cases) { const f = gatingFinding(d.case, await sendCase(sim, d.case)); if (f) { hit = true; break; } }
        if (hit) break;
      }
      if (hit) caught.push(mode);
      await sim.stop();
    }
    console.log(`seed ${seed} examples ${examples} cases ${n}: ${caught.length}/${modes.length} ${caught.join(',')}`);
  }
}
main();
