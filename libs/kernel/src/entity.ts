/**
 * Entities are typed strings so they can be Kafka keys, Redis keys and log fields as they are:
 * `ip:203.0.113.7`, `user:alice@example.com`, `svc:spiffe://cluster.local/ns/shop/sa/cart`.
 */
export const ENTITY_KINDS = ['ip', 'user', 'svc', 'token', 'device'] as const;
export type EntityKind = (typeof ENTITY_KINDS)[number];
export type EntityRef = `${EntityKind}:${string}`;

export function entityRef(kind: EntityKind, id: string): EntityRef {
  return `${kind}:${id}`;
}

/** Splits an entity reference; returns undefined when the kind is unknown or the id empty. */
export function parseEntityRef(raw: string): { kind: EntityKind; id: string } | undefined {
  const colon = raw.indexOf(':');
  if (colon <= 0 || colon === raw.length - 1) return undefined;
  const kind = raw.slice(0, colon);
  if (!(ENTITY_KINDS as readonly string[]).includes(kind)) return undefined;
  return { kind: kind as EntityKind, id: raw.slice(colon + 1) };
}
