// The contract's public face: one compiled Contract per process (so once per Playwright worker), and the checks on it.
import { compileContract, outlineContract, precompiledContract, type Contract, type ContractOutline } from './validators';
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
} from './check';
export {
  Contract,
  compileContract,
  outlineContract,
  precompiledContract,
  standaloneValidators,
  standaloneFiles,
  type BodyValidator,
  type StandaloneModule,
  type ContractOutline,
  type OperationContract,
  type OperationOutline,
  type ResponseContract,
  type ResponseOutline,
} from './validators';
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
  judgePrecondition,
  judgeRules,
  judgeStatusClaim,
  recordMessage,
  type ObservedExchange,
  type RuleCheck,
  type ServedMeaning,
  type StatusClaim,
} from './judge';

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
