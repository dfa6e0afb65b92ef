// The generated phase's data examples replayed in process: exactly the cases a seed draws (the same categories, seeds and
// example counts as specs/generated.spec.ts), sent straight to an in-process simulator and judged by the same checks.
// `npm run sweep` uses it for precision on many seeds, tools/mutation-score.ts to say which example catches which mode.
import fc from 'fast-check';
import { dataChecks, judgeGenerated, loadContract, type ContractRecord, type GeneratedExchange } from '../contract';
// The generators' values come from their own file: they load fast-check, a devDependency the contract's door must not load.
import { caseCategories, casePath, categoryRuns, operationModels, testSeed, type GeneratedCase, type GenerationTarget } from '../contract/generators';
import type { RunningSimulator } from '../simulator/server';

const contract = loadContract();
const models = [...operationModels(contract).values()];

/** One drawn example: the generated test it belongs to, its category (0-based) and its place in that category's run. */
export interface DrawnCase {
  test: string;
  category: number;
  example: number;
  case: GeneratedCase;
}

/** The ids the generated phase uses against a running simulator, as the gate configures them for it. */
export function simulatorGenerationTarget(simulator: RunningSimulator): GenerationTarget {
  return {
    customerId: simulator.customer('primary').id,
    missingCustomerId: 'cust_contract_suite_missing_0000',
    otherCustomerId: simulator.customer('other').id,
    deleteCustomerId: simulator.customer('disposable').id,
    hasDisposableCredential: true,
  };
}

/** Every data example the generated phase draws for this run seed and CONTRACT_EXAMPLES, in the order its tests draw them. */
export function drawCases(runSeed: number, examples: number, target: GenerationTarget): DrawnCase[] {
  const cases: DrawnCase[] = [];
  for (const model of models) {
    for (const mode of model.method === 'DELETE' ? (['negative'] as const) : (['positive', 'negative'] as const)) {
      const test = `${model.operationId} ${mode}`;
      const categories = caseCategories(model, mode, target);
      const spread = categoryRuns(categories.length, testSeed(runSeed, test), examples);
      categories.forEach((category, index) =>
        fc
          .sample(category, { seed: spread[index]!.seed, numRuns: spread[index]!.numRuns })
          .forEach((generated, example) => cases.push({ test, category: index, example, case: generated })),
      );
    }
  }
  return cases;
}

function lowerCaseHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => (out[name.toLowerCase()] = value));
  return out;
}

/** Sends one generated case straight to the simulator, with the credential's token, and returns the exchange the checks judge. */
export async function sendCase(simulator: RunningSimulator, generated: GeneratedCase): Promise<GeneratedExchange> {
  const model = models.find((m) => m.operationId === generated.operation)!;
  const url = `/${casePath(model, generated)}`;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (generated.credential !== 'none')
    headers.authorization = `Bearer ${simulator.customer(generated.credential === 'primary' ? 'primary' : 'disposable').token}`;
  const response = await fetch(`${simulator.baseUrl}${url}`, { method: generated.method, headers, redirect: 'manual' });
  const bodyText = await response.text();
  return {
    operation: generated.operation,
    request: {
      method: generated.method,
      url,
      credential: generated.credential === 'none' ? { kind: 'none' } : { kind: 'token', whose: generated.credential, scheme: 'Bearer' },
    },
    status: response.status,
    contentType: response.headers.get('content-type') ?? undefined,
    bodyText,
    headers: lowerCaseHeaders(response.headers),
  };
}

/** The first gating finding of one exchange, judged by the generated phase's data checks at the default strictness; undefined: it passes. */
export function gatingFinding(generated: GeneratedCase, exchange: GeneratedExchange): string | undefined {
  const run = { target: 'simulator', readOnly: false, strictness: 'inferred' } as const;
  const record: ContractRecord = judgeGenerated({ contract, exchange, generated, enforceHeaders: false }, dataChecks, generated.why, run);
  return record.findings.find((f) => f.gating)?.message;
}

/** Deletes the simulator's disposable customer, as the DELETE spec does before the generated phase runs in a whole gate. */
export async function deleteDisposable(simulator: RunningSimulator): Promise<void> {
  const disposable = simulator.customer('disposable');
  await fetch(`${simulator.baseUrl}/${encodeURIComponent(disposable.id)}`, { method: 'DELETE', headers: { authorization: `Bearer ${disposable.token}` } });
}
