// The generated phase: requests drawn from the OpenAPI document's parameter schemas (fast-check, seeded, shrunk), methods, negotiation and the DELETE links, judged by contract/generated-checks.ts.
import crypto from 'node:crypto';
import fc from 'fast-check';
import type { OpenAPIV3_1 } from 'openapi-types';
import { test, noteConsumed } from './fixtures';
import { gateDefaults, loadGeneratedSettings } from '../config/settings';
import {
  curlFor,
  dataChecks,
  inferred,
  judgeGenerated,
  loadContract,
  negotiationConformance,
  notAServerError,
  resolveRef,
  responseHeadersConformance,
  responseSchemaConformance,
  saveFailures,
  savedCases,
  undocumentedMethod,
  useAfterFree,
  type Check,
  type ContractRecord,
  type GeneratedExchange,
  type RequestRecord,
} from '../contract';
// The generators' values come from their own file: they load fast-check, a devDependency the contract's door must not load.
import {
  caseCategories,
  casePath,
  categoryRuns,
  defaultRunSeed,
  operationModels,
  testSeed,
  type GeneratedCase,
  type GenerationMode,
} from '../contract/generators';
import { GeneratedClient } from './support/generated-client';
import { drawnCells } from './support/intent';
import { runFacts, settle } from './support/verdicts';

const settings = loadGeneratedSettings();
const contract = loadContract();
/**
 * The run's seed: CONTRACT_SEED; by default derived from the OpenAPI document (the same document sends the same requests,
 * so the same API gets the same verdict). `random` is resolved to a number, and printed, in playwright.config.ts; drawn
 * here only if a worker still sees it. Every failure prints the seed; each test's own seed derives from it and its name.
 */
const runSeed = settings.seed === 'random' ? crypto.randomInt(0, 2 ** 31 - 1) : (settings.seed ?? defaultRunSeed(contract.document));
/** Requests a failing property may spend on shrinking, on top of its examples: bounded, so a broken real target is not flooded. */
const shrinkRequestBudget = 60;
/** Warnings kept per test (one record each): the first of each message, so an advisory on every 401 is reported once. */
const maxWarningRecords = 5;

const models = operationModels(contract);
const replayHint = (title: string): string => `replay: CONTRACT_SEED=${runSeed} npm run contract -- --grep "${title.replace(/["\\`$]/g, '\\$&')}"`;

/** A generated case by value: the key its verdict and exchange are kept under. */
function caseKey(generated: GeneratedCase): string {
  return JSON.stringify(generated);
}

/**
 * Maps `items` through `send`, at most `limit` in flight at once (the next starts as soon as one ends, always in the
 * items' order), results in the items' order; once `stop` says so of a result, no further item is sent (undefined).
 */
async function inPool<T, R>(items: readonly T[], limit: number, send: (item: T) => Promise<R>, stop: (result: R) => boolean): Promise<Array<R | undefined>> {
  const results: Array<R | undefined> = new Array<R | undefined>(items.length).fill(undefined);
  let next = 0;
  let stopped = false;
  const lane = async (): Promise<void> => {
    while (!stopped && next < items.length) {
      const index = next++;
      const result = await send(items[index]!);
      results[index] = result;
      if (stop(result)) stopped = true;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  return results;
}

/** Turns the records of a test into its outcome; throws the failure with its seed, input and reproduction on top. */
async function settleGenerated(records: ContractRecord[], exchange: GeneratedExchange | undefined, heading: string): Promise<void> {
  const message = await settle(records, exchange);
  if (message !== undefined) throw new Error(`${heading}\n${message}`);
}

test.describe('generated', () => {
  test.skip(settings.examples === 0, 'CONTRACT_EXAMPLES=0: the generated phase is off');

  for (const model of models.values()) {
    const modes: GenerationMode[] = model.method === 'DELETE' ? ['negative'] : ['positive', 'negative'];
    for (const mode of modes) {
      const title = `${model.operationId} ${mode}: seeded examples from the document`;
      test(title, { annotation: drawnCells(model.operationId) }, async ({ target }) => {
        if (model.method === 'DELETE') {
          test.skip(target.readOnly, 'read-only run (CONTRACT_READ_ONLY=1): no DELETE is sent');
          test.skip(
            !target.allowDelete || !target.deleteCustomerId,
            'generated DELETEs go to ids that do not exist, with the disposable credential: set API_ALLOW_DELETE=1 with a disposable customer',
          );
        }
        const testKey = `${model.operationId} ${mode}`;
        const seed = testSeed(runSeed, testKey);
        const client = GeneratedClient.open(target, settings.maxRps);
        // Several GETs in flight at once (CONTRACT_CONCURRENCY), within the run's per-minute budget, which the relay keeps;
        // DELETEs one at a time (the relay also holds every other request while a DELETE is in flight).
        const concurrency =
          model.method === 'DELETE' ? 1 : (settings.concurrency ?? (target.kind === 'remote' ? gateDefaults.concurrency : gateDefaults.simulatorConcurrency));
        const generationTarget = { ...target, hasDisposableCredential: target.allowDelete && !target.readOnly && !!target.deleteCustomerId };
        const categories = caseCategories(model, mode, generationTarget);
        const judged = new Map<string, { record: ContractRecord; exchange: GeneratedExchange }>();
        const verdicts = new Map<string, boolean>();
        const warnings = new Map<string, ContractRecord>();
        let requests = 0;
        let throttled: ContractRecord | undefined;
        // The failure database's inputs for this test go first: a bug found once, on any seed, stays found.
        const replayed = settings.failureDb ? savedCases(settings.failureDb, testKey, target) : [];
        const budget = Math.max(settings.examples, categories.length) + shrinkRequestBudget + replayed.length;
        const send = (generated: GeneratedCase): Promise<GeneratedExchange> => {
          requests += 1;
          return client.send({ operation: model.operationId, method: model.method, path: casePath(model, generated), credential: generated.credential });
        };
        /** Judges one exchange, remembering the verdict by the case's value (fast-check's replay draws equal, not identical, objects). */
        const judge = (generated: GeneratedCase, exchange: GeneratedExchange): boolean => {
          if (exchange.status === 429) {
            throttled = judgeGenerated({ contract, exchange, generated, enforceHeaders: settings.enforceHeaders }, [], title, runFacts());
            throttled = {
              ...throttled,
              outcome: 'throttled',
              reason: `throttled: ${model.operationId} answered 429 to ${exchange.request.method} ${exchange.request.url} after the retries the budget allows: the vendor's rate limit, not drift; the rest of the examples were not sent`,
            };
            return true;
          }
          const record = judgeGenerated(
            { contract, exchange, generated, enforceHeaders: settings.enforceHeaders },
            dataChecks,
            `${title}: ${generated.why}`,
            runFacts(),
          );
          judged.set(caseKey(generated), { record, exchange });
          if (record.outcome === 'warned') {
            for (const finding of record.findings)
              if (!warnings.has(finding.message) && warnings.size < maxWarningRecords) warnings.set(finding.message, record);
          }
          verdicts.set(caseKey(generated), record.outcome !== 'failed');
          return record.outcome !== 'failed';
        };
        const property = async (generated: GeneratedCase): Promise<boolean> => {
          const known = verdicts.get(caseKey(generated));
          if (known !== undefined) return known;
          if (throttled || requests >= budget) return true;
          return judge(generated, await send(generated));
        };
        // The budget is spread over the categories of input (at least one example each), each its own seeded, shrinking run.
        const spread = categoryRuns(categories.length, seed, settings.examples);
        const runs = categories.map((category, index): { category: typeof category; settings: fc.Parameters<[GeneratedCase]>; examples?: GeneratedCase[] } => ({
          category,
          settings: { ...spread[index]!, endOnFailure: false },
        }));
        const replayedFailures: GeneratedCase[] = [];
        for (const generated of replayed) {
          if (throttled) break;
          if (!judge(generated, await send(generated))) replayedFailures.push(generated);
        }
        // The examples fast-check's runs draw (fc.sample with the same seed draws the same values, in the same order), all
        // categories' at once, sent `concurrency` at a time and judged in order; fast-check then runs only the categories
        // with a failure, replaying these verdicts and sending just its shrinks, one at a time. The same requests and the
        // same verdicts at any concurrency: only how many are in flight at once changes.
        for (const run of runs) run.examples = fc.sample(run.category, { seed: run.settings.seed, numRuns: run.settings.numRuns });
        const examples = runs.flatMap((run) => run.examples ?? []);
        // A 429 after the retries the back-off allows ends the sending: the rest would only meet the same limit.
        const exchanges = await inPool(examples, concurrency, send, (exchange) => exchange.status === 429);
        examples.forEach((example, i) => {
          const exchange = exchanges[i];
          if (!throttled && exchange) judge(example, exchange);
        });
        // Every category runs, so a test reports each failing category (one finding each), not only the first.
        const failures: Array<{ result: fc.RunDetails<[GeneratedCase]>; index: number }> = [];
        const isThrottled = (): boolean => throttled !== undefined;
        for (const [index, run] of runs.entries()) {
          if (isThrottled()) break;
          if (run.examples?.every((example) => verdicts.get(caseKey(example)) === true)) continue;
          const result = await fc.check(fc.asyncProperty(run.category, property), run.settings);
          if (throttled) break;
          if (result.failed && result.counterexample) failures.push({ result, index });
        }
        client.dispose();
        const warned = [...new Set(warnings.values())];
        if (throttled) return settleGenerated([throttled, ...warned], undefined, '');
        const failed = [
          ...replayedFailures.map((generated) => ({ generated, how: 'replayed from the failure database', judged: judged.get(caseKey(generated)) })),
          ...failures.map(({ result, index }) => {
            const [shrunk] = result.counterexample ?? [];
            if (!shrunk) throw new Error(`the generated property failed without a counterexample (seed ${seed}): ${String(result.errorInstance)}`);
            return {
              generated: shrunk,
              how: `category ${index + 1} of ${runs.length}: failed after ${result.numRuns} example(s), shrunk ${result.numShrinks} time(s) (path ${result.counterexamplePath})`,
              judged: judged.get(caseKey(shrunk)),
            };
          }),
        ];
        if (failed.length === 0) return settleGenerated(warned, undefined, '');
        for (const failure of failed)
          if (!failure.judged) throw new Error(`the generated property failed without a judged exchange (seed ${seed}): ${failure.generated.why}`);
        const judgedFailures = failed.map((f) => ({ ...f, judged: f.judged! }));
        if (settings.failureDb) {
          const added = saveFailures(
            settings.failureDb,
            judgedFailures.map((f) => ({
              test: testKey,
              case: f.generated,
              seed: runSeed,
              finding: f.judged.record.findings.find((finding) => finding.gating)?.message ?? f.generated.why,
            })),
            target,
          );
          if (added > 0)
            test
              .info()
              .annotations.push({ type: 'note', description: `${added} failing input(s) saved to ${settings.failureDb}: every later run replays them first` });
        }
        const heading = [
          `generated ${model.operationId} (${mode}): ${judgedFailures.length} failing input(s), run seed ${runSeed} (test seed ${seed})`,
          ...judgedFailures.map(
            (f) =>
              `  ${f.how}\n    input: ${f.judged.exchange.request.method} ${f.judged.exchange.request.url} (${f.generated.credential} credential): ${f.generated.why}`,
          ),
          `  ${replayHint(title)}`,
        ].join('\n');
        await settleGenerated([...judgedFailures.map((f) => f.judged.record), ...warned], judgedFailures.at(-1)?.judged.exchange, heading);
      });
    }
  }

  // Methods the document does not give a path: PUT, POST and PATCH must not succeed, none may fail the server; HEAD may
  // mirror GET and OPTIONS may answer a CORS preflight. State-changing ones go to an id that does not exist, with the
  // disposable credential or none (the relay refuses the primary); HEAD and OPTIONS to the configured customer.
  for (const [pathTemplate, itemOrRef] of Object.entries(contract.document.paths ?? {})) {
    const item = resolveRef<OpenAPIV3_1.PathItemObject>(contract.document, itemOrRef ?? {});
    const getOperation = item.get?.operationId;
    if (!getOperation) continue;
    test(`undocumented methods on ${pathTemplate}`, { annotation: drawnCells(getOperation) }, async ({ target }) => {
      // Against a real target the generated phase sends only GET, and DELETE to the disposable or a missing id.
      test.skip(
        target.kind === 'remote',
        'real target: PUT/POST/PATCH/HEAD/OPTIONS are sent to the simulator only (the generated phase sends GET and a guarded DELETE to a real API)',
      );
      const documentedMethods = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options'].filter((m) => m in item).map((m) => m.toUpperCase()));
      const stateChanging = target.readOnly ? [] : (['PUT', 'POST', 'PATCH'] as const).filter((m) => !documentedMethods.has(m));
      const client = GeneratedClient.open(target, settings.maxRps);
      const safeCredential = target.allowDelete && !target.readOnly && target.deleteCustomerId ? 'disposable' : 'none';
      const records: ContractRecord[] = [];
      const sends = [
        ...stateChanging.map((method) => ({ method, id: target.missingCustomerId, credential: safeCredential }) as const),
        ...(['HEAD', 'OPTIONS'] as const).map((method) => ({ method, id: target.customerId, credential: 'primary' }) as const),
      ];
      let last: GeneratedExchange | undefined;
      for (const send of sends) {
        const exchange = await client.send({
          operation: getOperation,
          method: send.method,
          path: pathTemplate.replace('{customer_id}', encodeURIComponent(send.id)).replace(/^\/+/, ''),
          credential: send.credential,
        });
        const checks: Array<readonly [string, Check]> = [
          ['not_a_server_error', notAServerError],
          ['undocumented_method', undocumentedMethod],
        ];
        records.push(
          judgeGenerated(
            { contract, exchange, enforceHeaders: settings.enforceHeaders },
            checks,
            `${send.method} ${pathTemplate} must not succeed or fail the server`,
            runFacts(),
          ),
        );
        if (records.at(-1)?.outcome === 'failed') last = exchange;
      }
      client.dispose();
      await settleGenerated(
        records,
        last,
        `generated method checks on ${pathTemplate} (nothing random: every undocumented method once)\n  ${replayHint(`undocumented methods on ${pathTemplate}`)}`,
      );
    });
  }

  test('Accept values the document does not offer get a documented answer or 406', { annotation: drawnCells('getCustomer') }, async ({ target }) => {
    const client = GeneratedClient.open(target, settings.maxRps);
    const records: ContractRecord[] = [];
    let last: GeneratedExchange | undefined;
    for (const accept of ['application/xml', 'text/html', 'text/plain', 'application/json;q=0, application/xml']) {
      const exchange = await client.send({
        operation: 'getCustomer',
        method: 'GET',
        path: encodeURIComponent(target.customerId),
        credential: 'primary',
        headers: { accept },
      });
      const checks: Array<readonly [string, Check]> = [
        ['not_a_server_error', notAServerError],
        ['negotiation_conformance', negotiationConformance],
        ['response_schema_conformance', responseSchemaConformance],
        ['response_headers_conformance', responseHeadersConformance],
      ];
      records.push(
        judgeGenerated(
          { contract, exchange, enforceHeaders: settings.enforceHeaders },
          checks,
          `Accept: ${accept} gets a documented answer or 406`,
          runFacts(),
        ),
      );
      if (records.at(-1)?.outcome === 'failed') last = exchange;
    }
    client.dispose();
    await settleGenerated(
      records.filter((r) => r.outcome !== 'passed'),
      last,
      'generated negotiation checks (every Accept value once)',
    );
  });

  // The stateful checks are the document's links on deleteCustomer's 200: after a DELETE that answered 200, each linked
  // operation on the same customer must answer the link's x-expected-status.
  test('stateful: the links of a successful DELETE (use after free)', { annotation: drawnCells('deleteCustomer') }, async ({ target }) => {
    test.skip(target.readOnly, 'read-only run (CONTRACT_READ_ONLY=1): no DELETE is sent');
    test.skip(
      !target.allowDelete || !target.deleteCustomerId,
      'the links start from a DELETE of the disposable customer: set API_ALLOW_DELETE=1 with a disposable customer',
    );
    const id = target.deleteCustomerId ?? '';
    const deleteOperation = contract.operation('deleteCustomer');
    const deleteItem = resolveRef<OpenAPIV3_1.PathItemObject>(contract.document, contract.document.paths?.[deleteOperation.path] ?? {});
    const ok = resolveRef<OpenAPIV3_1.ResponseObject>(contract.document, deleteItem.delete?.responses['200'] ?? { description: 'none' });
    const links = Object.entries(ok.links ?? {}).map(
      ([name, linkOrRef]) => [name, resolveRef<OpenAPIV3_1.LinkObject & Record<string, unknown>>(contract.document, linkOrRef)] as const,
    );
    test.skip(links.length === 0, 'deleteCustomer 200 declares no links');
    const client = GeneratedClient.open(target, settings.maxRps);
    const path = encodeURIComponent(id);
    const before = await client.send({ operation: 'getCustomer', method: 'GET', path, credential: 'disposable' });
    let source: RequestRecord;
    const records: ContractRecord[] = [];
    if (before.status === 200) {
      const deletion = await client.send({ operation: 'deleteCustomer', method: 'DELETE', path, credential: 'disposable' });
      if (deletion.status !== 200) {
        client.dispose();
        test.skip(true, `blocked: deleteCustomer answered ${deletion.status} to DELETE /${path}, so the links (which start from a 200) cannot be followed`);
      }
      noteConsumed('the disposable customer', `the generated stateful test deleted it (DELETE /${path} answered 200) to follow deleteCustomer's links`);
      source = deletion.request;
    } else {
      // Deleted earlier in the run (the DELETE spec's last test): the links are followed from that deletion.
      source = { method: 'DELETE', url: `/${path}`, credential: { kind: 'token', whose: 'disposable', scheme: target.authScheme } };
      test.info().annotations.push({
        type: 'note',
        description: `the disposable customer answered ${before.status} before the links were followed: they start from the DELETE made earlier in this run`,
      });
    }
    let last: GeneratedExchange | undefined;
    for (const [name, link] of links) {
      const operationId = link.operationId;
      const expected = link['x-expected-status'];
      if (typeof operationId !== 'string' || typeof expected !== 'number')
        throw new Error(`link ${name} of deleteCustomer 200 needs an operationId and a numeric x-expected-status`);
      const linked = contract.operation(operationId);
      const linkedPath = linked.path.replace('{customer_id}', path).replace(/^\/+/, '');
      const note = typeof link['x-inferred'] === 'string' ? link['x-inferred'] : `link ${name}`;
      const exchange = await client.send({
        operation: operationId,
        method: linked.method.toUpperCase() as 'GET' | 'DELETE',
        path: linkedPath,
        credential: 'disposable',
        after: [source],
      });
      const checks: Array<readonly [string, Check]> = [
        ['not_a_server_error', notAServerError],
        ['use_after_free', useAfterFree(expected, inferred(note), name)],
        ['response_schema_conformance', responseSchemaConformance],
      ];
      records.push(
        judgeGenerated(
          { contract, exchange, enforceHeaders: settings.enforceHeaders },
          checks,
          `link ${name}: ${operationId} after a successful DELETE answers ${expected}`,
          runFacts(),
        ),
      );
      if (records.at(-1)?.outcome === 'failed') last = exchange;
    }
    client.dispose();
    await settleGenerated(records, last, `generated stateful checks from deleteCustomer's links (source: ${curlFor(source)})`);
  });
});
