// What a spec test declares about itself, for the reporter: the contract cells it exercises (`cell('getCustomer', 404)`), its operation's own spec, or the operations the generated phase draws from.
//
// Declarations are static annotations (`test(title, { annotation: cell(…) }, body)`, `test.describe(title, ownSpec(…), body)`),
// so a skipped test carries them too: coverage lets a skipped, blocked or throttled test excuse exactly the cells it
// declares, never what its title happens to say. Each is checked twice: by the compiler against the generated
// OpenAPI types, and when the spec loads against the contract document the run uses (CONTRACT_OPENAPI may name
// another), so an unknown operationId or status fails the run loudly instead of excusing nothing.
import type { TestDetails, TestDetailsAnnotation } from '@playwright/test';
import { cellAnnotation, cellDescription, drawnCellsAnnotation, loadContractOutline, ownSpecAnnotation } from '../../contract';
import type { operations } from '../../contract';

/** An operationId of the contract. */
export type OperationId = keyof operations;
/** A status the contract documents for the operation (for a union of operations: one every one of them documents). */
export type DocumentedStatus<Op extends OperationId> = Extract<keyof operations[Op]['responses'], number>;

/** @throws Error when the contract document in use has no such operation, or does not document the status for it. */
function checkedOperation(operationId: string, statuses: readonly number[] = []): void {
  const contract = loadContractOutline();
  const operation = contract.operations.get(operationId);
  if (!operation)
    throw new Error(
      `a spec declares the contract cell of operation ${JSON.stringify(operationId)}, which the contract does not have: use one of ${[...contract.operations.keys()].join(', ')}`,
    );
  for (const status of statuses)
    if (!operation.responses.has(status))
      throw new Error(
        `a spec declares the contract cell ${operationId} ${status}, which the contract does not document: ${operationId} documents ${[...operation.responses.keys()].join(', ')}`,
      );
}

/**
 * The cells a test sends a request for and claims, as its annotations: `{ annotation: cell('getCustomer', 404) }`, or
 * `{ annotation: [...cell('deleteCustomer', 200, 404), ...cell('getCustomer', 404)] }` for a test that claims several.
 */
export function cell<Op extends OperationId>(operationId: Op, ...statuses: [DocumentedStatus<Op>, ...Array<DocumentedStatus<Op>>]): TestDetailsAnnotation[] {
  checkedOperation(operationId, statuses);
  return statuses.map((status) => ({ type: cellAnnotation, description: cellDescription({ operation: operationId, status }) }));
}

/** The details of the describe block that is this operation's own spec: `test.describe('GET /{customer_id}', ownSpec('getCustomer'), …)`. */
export function ownSpec(operationId: OperationId): TestDetails {
  checkedOperation(operationId);
  return { annotation: { type: ownSpecAnnotation, description: operationId } };
}

/**
 * A generated test's declaration: it draws its requests for these operations (operationIds read from the document, so
 * checked when the spec loads), and which cells it answers only its records say.
 */
export function drawnCells(...operationIds: [string, ...string[]]): TestDetailsAnnotation[] {
  for (const operationId of operationIds) checkedOperation(operationId);
  return operationIds.map((operationId) => ({ type: drawnCellsAnnotation, description: operationId }));
}
