/**
 * Namespaces of keyed state and timers (Flink's VoidNamespace, and the window as namespace): state is
 * addressed by (key, namespace). User state from the runtime context lives in the void namespace; a
 * window operator keeps each window's contents under the window, CEP each pattern under its id.
 *
 * A namespace is a primitive (string, number) or an object with a stable `id` (a Window): two equal
 * namespaces must have the same identity so they address the same state.
 */
export type Namespace = string | number | { readonly id: string | number };

/** The namespace of state that is only per key (Flink's VoidNamespace); plain data, so snapshots can be serialized. */
export const VOID_NAMESPACE: { readonly id: '\u0000void' } = Object.freeze(
  // toString not enumerable: structured cloning (v8.serialize) copies only own enumerable data.
  Object.defineProperty({ id: '\u0000void' as const }, 'toString', { value: () => 'VoidNamespace', enumerable: false }),
);
export type VoidNamespace = typeof VOID_NAMESPACE;

/**
 * Rebuilds a namespace read back from a serialized snapshot (Flink's namespace TypeSerializer): a
 * serialized object namespace (a TimeWindow) comes back as plain data without its class.
 */
export type NamespaceSerializer<N extends Namespace = Namespace> = (restored: unknown) => N;

/** The default: the void namespace comes back as VOID_NAMESPACE, anything else as it was read. */
export function restoreNamespace(restored: unknown): Namespace {
  if (typeof restored === 'object' && restored !== null && (restored as { id?: unknown }).id === VOID_NAMESPACE.id) return VOID_NAMESPACE;
  return restored as Namespace;
}

/** The map identity of a namespace. */
export function namespaceId(namespace: Namespace): string | number {
  return typeof namespace === 'object' ? namespace.id : namespace;
}
