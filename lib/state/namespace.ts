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
 * The namespace of state that is only per key (Flink's VoidNamespace). Its toString sits on the
 * prototype: snapshot entries hold their namespace, and structured clone (v8.serialize, worker
 * messages) copies own properties and refuses functions among them.
 */
export const VOID_NAMESPACE = Object.freeze(
  new (class VoidNamespace {
    readonly id = '\u0000void';
    toString(): string {
      return 'VoidNamespace';
    }
  })(),
);
export type VoidNamespace = typeof VOID_NAMESPACE;

/** The map identity of a namespace. */
export function namespaceId(namespace: Namespace): string | number {
  return typeof namespace === 'object' ? namespace.id : namespace;
}
