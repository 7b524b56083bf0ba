/**
 * Talking to the Temporal server hubsync runs on, whoever started it: waiting until it answers and
 * registering the search attributes hubsync sets on its workflows (idempotent). Used by the worker process
 * against TEMPORAL_ADDRESS and by the local stack against the dev server it starts.
 */
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTE_TYPES } from '../kernel/ids';

export interface TemporalEndpoint {
  address: string;
  namespace: string;
  /** Web UI URL, when this process started a dev server with its UI. */
  uiUrl?: string;
  /** How the server was obtained, for `hubsync doctor` and start-up output. */
  origin: string;
  stop(): Promise<void>;
}

const SEARCH_ATTRIBUTE_ENUM = { Keyword: 2 } as const; // temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD

/** Registers hubsync's search attributes on a server that lacks them (operator API; idempotent). */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set([...Object.keys(existing.customAttributes ?? {}), ...Object.keys(existing.systemAttributes ?? {})]);
  const missing = Object.entries(SEARCH_ATTRIBUTE_TYPES).filter(([name]) => !known.has(name));
  if (missing.length === 0) return;
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, SEARCH_ATTRIBUTE_ENUM[type]])),
  });
}

/** Polls until the frontend answers and the namespace exists; fails early if `exited` resolves. */
export async function waitForTemporal(
  address: string,
  namespace: string,
  opts: { timeoutMs: number; exited?: Promise<string> },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError: unknown;
  let exitMessage: string | undefined;
  void opts.exited?.then((m) => (exitMessage = m));
  while (Date.now() < deadline) {
    if (exitMessage !== undefined) throw new Error(`Temporal dev server exited during start-up: ${exitMessage}`);
    let connection: Connection | undefined;
    try {
      // A closed port refuses at once; a starting server answers DescribeNamespace once it is ready.
      connection = await Connection.connect({ address, connectTimeout: 2000 });
      await connection.workflowService.describeNamespace({ namespace });
      return;
    } catch (err) {
      lastError = err;
    } finally {
      await connection?.close().catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`Temporal at ${address} did not answer within ${opts.timeoutMs / 1000} s: ${String(lastError ?? 'port not listening')}`);
}

/** Connects to TEMPORAL_ADDRESS, checks it answers and registers the search attributes. */
export async function useExistingServer(address: string, namespace: string): Promise<TemporalEndpoint> {
  await waitForTemporal(address, namespace, { timeoutMs: 30000 });
  const connection = await Connection.connect({ address });
  try {
    await ensureSearchAttributes(connection, namespace);
  } finally {
    await connection.close();
  }
  return { address, namespace, origin: 'TEMPORAL_ADDRESS', stop: async () => undefined };
}
