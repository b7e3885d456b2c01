import type { Broker, Cluster, KafkajsError } from './internals.ts';

/**
 * Coordinator answers after which the same request is sent again, or to a coordinator found anew (kafkajs's
 * names: GROUP_* are the protocol's COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR).
 * CONCURRENT_TRANSACTIONS answers AddPartitionsToTxn/InitProducerId while the coordinator still writes the
 * markers of the previous transaction.
 */
const RETRY_SAME = new Set(['CONCURRENT_TRANSACTIONS', 'GROUP_LOAD_IN_PROGRESS']);
const RETRY_NEW_COORDINATOR = new Set(['GROUP_COORDINATOR_NOT_AVAILABLE', 'NOT_COORDINATOR_FOR_GROUP']);
/** How long coordinator requests keep retrying those answers. */
const COORDINATOR_RETRY_MS = 30_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends `request` to the group or transaction coordinator of `groupId`, retrying the answers that mean "not
 * yet" or "ask another broker" for up to 30 s: after 5 ms, doubling to 100 ms (kafkajs waits 300 ms+ before
 * retrying CONCURRENT_TRANSACTIONS, kafkajs#1315: ~340 ms per back-to-back transaction). Other errors, and
 * these once the time is up, are thrown as they came.
 */
export function onCoordinator<T>(
  cluster: Cluster,
  coordinator: { readonly groupId: string; readonly coordinatorType: number },
  request: (broker: Broker) => Promise<T>,
): Promise<T> {
  return withCoordinatorRetries(cluster, () => cluster.findGroupCoordinator({ ...coordinator }), request);
}

/** `request` to the broker `find` gives, with the retries of onCoordinator (InitProducerId of an idempotent producer too). */
export async function withCoordinatorRetries<T>(
  cluster: Cluster,
  find: () => Promise<Broker>,
  request: (broker: Broker) => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + COORDINATOR_RETRY_MS;
  let backoff = 5;
  for (;;) {
    try {
      return await request(await find());
    } catch (e) {
      const type = (e as KafkajsError).type;
      const again = type !== undefined && (RETRY_SAME.has(type) || RETRY_NEW_COORDINATOR.has(type));
      if (!again || Date.now() > deadline) throw e;
      if (RETRY_NEW_COORDINATOR.has(type)) await cluster.refreshMetadata().catch(() => undefined);
      await sleep(backoff);
      backoff = Math.min(backoff * 2, 100);
    }
  }
}
