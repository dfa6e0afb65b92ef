// The contract's door: every other layer (simulator, specs, monitors, relay, reporters, tools, the root configs) imports
// the contract through this file alone; tests/architecture.test.ts fails on an import around it. It keeps one compiled
// Contract per process (so once per Playwright worker). The one exception is contract/generators.ts (the generated
// phase's fast-check input): fast-check is a devDependency, and this door is what the production exporter loads, so it
// re-exports only the generators' types.
import { compileContract, type Contract } from './compile';
import { outlineContract, type ContractOutline } from './document-outline';
import { precompiledContract } from './standalone';
import { contractDocumentPath } from '../config/settings';

export {
  checkResponse,
  defaultJsonLimits,
  jsonDepthExceeds,
  jsonType,
  type JsonLimits,
  type JsonType,
  type ContractCheck,
  type DriftFinding,
  type DriftKind,
  type DriftSeverity,
  type ObservedResponse,
} from './check-response';
export { Contract, compileContract, type BodyValidator, type OperationContract, type ResponseContract } from './compile';
export { outlineContract, type ContractOutline, type OperationOutline, type ResponseOutline } from './document-outline';
export { compilePath, precompiledContract, standaloneFingerprint, standaloneFiles, standaloneValidators, type StandaloneModule } from './standalone';
export {
  advisory,
  advisoryRules,
  documented,
  gates,
  inferred,
  isAdvisoryRule,
  simulatorOnly,
  weakest,
  type AdvisoryRule,
  type Evidence,
  type EvidenceLevel,
  type Strictness,
} from './evidence';
export {
  countFindings,
  countsText,
  curlFor,
  findingLine,
  parseRecord,
  prettyBody,
  recordAttachment,
  requestLine,
  verdictAnnotation,
  verdictFailNote,
  verdictReporterVariable,
  weightText,
  type ContractRecord,
  type CredentialUse,
  type ExchangeOutcome,
  type Finding,
  type FindingCounts,
  type FindingKind,
  type HttpMethodName,
  type GeneratedMethodName,
  type RequestRecord,
  type RunFacts,
} from './records';
export {
  contentTypeCharset,
  dataChecks,
  declaredHeaders,
  ignoredAuth,
  judgeGenerated,
  negativeDataRejection,
  negotiationConformance,
  notAServerError,
  positiveDataAcceptance,
  responseHeadersConformance,
  responseSchemaConformance,
  statusCodeConformance,
  undocumentedMethod,
  useAfterFree,
  type Check,
  type CheckInput,
  type GeneratedExchange,
} from './generated-checks';
/** Types only: the generators' values load fast-check (see above); the generated phase imports them from contract/generators.ts. */
export type { GeneratedCase, GeneratedCredential, GenerationMode, GenerationTarget, InputExpectation, OperationModel } from './generators';
export { failureDbFormat, fromSaved, readFailureDb, saveFailures, savedCases, type CaseIds, type FailureDb, type FailureEntry } from './failure-db';
export {
  defaultContractPath,
  extensionNote,
  httpMethods,
  readOpenApiDocument,
  resolveRef,
  responseExample,
  type HttpMethod,
  type OpenApiDocument,
} from './openapi';
/** The body types generated from the document (`npm run contract:types`). */
export type { components, operations } from './openapi-types.generated';
export { completeFinding, draftFromDrift, findingCause, findingsOutcome, noAnswerFinding, type FindingDraft, type ObservedExchange } from './findings';
export { judgePrecondition, judgeRules, judgeStatusClaim, recordMessage, type RuleCheck, type ServedMeaning, type StatusClaim } from './judge';
export {
  cellAnnotation,
  cellDescription,
  declaredIntent,
  declaresCell,
  drawnCellsAnnotation,
  ownSpecAnnotation,
  settledOutcome,
  type DeclaredCell,
  type DeclaredIntent,
  type SettledOutcome,
} from './intent';

export {
  boundMarkdown,
  clip,
  defaultLineLimit,
  defaultTextLimit,
  escapeControls,
  logFileText,
  markdownCode,
  markdownText,
  terminalLines,
  terminalText,
  xmlCharacters,
  type MarkdownOptions,
} from './untrusted-text';

let compiled: Contract | undefined;

/**
 * The contract of openapi/customer-management.yaml (or CONTRACT_OPENAPI), built on first use and kept for the process: the standalone
 * validators generated ahead of time (contract/validators.generated.js) while they match the document, else compiled now.
 */
export function loadContract(): Contract {
  const file = contractDocumentPath();
  compiled ??= precompiledContract(file) ?? compileContract(file);
  return compiled;
}

/** The contract's operations and responses without validators (the reporter's view): the compiled one when there is one. */
export function loadContractOutline(): ContractOutline {
  const file = contractDocumentPath();
  compiled ??= precompiledContract(file);
  return compiled ?? outlineContract(file);
}
