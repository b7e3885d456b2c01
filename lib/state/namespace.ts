/**
 * Namespaces of keyed state and timers (Flink's VoidNamespace, and the window as namespace): state is
 * addressed by (key, namespace). User state from the runtime context lives in the void namespace; a
 * window operator keeps each window's contents under the window, CEP each pattern under its id.
 *
 * A namespace is a primitive (string, number) or an object with a stable `id` (a Window): two equal
 * namespaces must have the same identity so they address the same state.
 */
export type Namespace = string | number | { readonly id: string | number };

/**
 * The namespace of state that is only per key (Flink's VoidNamespace). Snapshots hold it as it is, so
 * it must survive structured cloning (v8.serialize, worker messages): its toString is not enumerable
 * (a function is not cloneable), and the copy a restore gets has the same `id`.
 */
export const VOID_NAMESPACE: { readonly id: string } = Object.freeze(Object.defineProperty({ id: '\u0000void' }, 'toString', { value: () => 'VoidNamespace' }));
export type VoidNamespace = typeof VOID_NAMESPACE;

/** The map identity of a namespace. */
export function namespaceId(namespace: Namespace): string | number {
  return typeof namespace === 'object' ? namespace.id : namespace;
}
