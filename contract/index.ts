// The contract's public face: one compiled Contract per process (so once per Playwright worker), and the checks on it.
import { compileContract, type Contract } from './validators';

export { checkResponse, type ContractCheck, type DriftFinding, type DriftKind, type DriftSeverity, type ObservedResponse } from './check';
export { Contract, compileContract, type OperationContract, type ResponseContract } from './validators';

let compiled: Contract | undefined;

/** The contract compiled from openapi/customer-management.yaml, built on first use and kept for the process. */
export function loadContract(): Contract {
  compiled ??= compileContract();
  return compiled;
}
