import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { actionId, type EnforcementAction, type EnforcementMode } from '@ratchet/contracts';
import type { EntityRef } from '@ratchet/kernel';
import { DecisionMirror } from './decision-mirror';

const T0 = Date.parse('2026-11-24T10:00:00.000Z');
const TTL = 15 * 60_000;

function decision(
  entity: EntityRef,
  { decidedAt = T0, ttlMs = TTL, mode = 'enforce' }: { decidedAt?: number; ttlMs?: number; mode?: EnforcementMode } = {},
): EnforcementAction {
  return {
    v: 1,
    id: actionId('ingress.deny', entity),
    action: 'ingress.deny',
    entity,
    reason: { chain: 'credential-attack', step: 0, signalType: 'brute_force', signalId: `sig-${decidedAt}`, score: 54 },
    mode,
    state: 'applied',
    ttlMs,
    decidedAt,
    expiresAt: decidedAt + ttlMs,
  };
}

describe('DecisionMirror', () => {
  it('enforces a decision until just before it expires, and not at its expiry', () => {
    const mirror = new DecisionMirror();
    const deny = decision('ip:203.0.113.7');
    mirror.apply(deny);
    assert.deepEqual(mirror.enforcedAll(['ip:203.0.113.7'], T0), [deny]);
    assert.deepEqual(mirror.enforcedAll(['ip:203.0.113.7'], deny.expiresAt - 1), [deny]);
    assert.deepEqual(mirror.enforcedAll(['ip:203.0.113.7'], deny.expiresAt), []);
    assert.deepEqual(mirror.enforcedAll(['ip:203.0.113.7'], deny.expiresAt + 1), []);
  });

  it('does not enforce a shadow decision, but lists it as active', () => {
    const mirror = new DecisionMirror();
    const shadow = decision('ip:203.0.113.7', { mode: 'shadow' });
    mirror.apply(shadow);
    assert.deepEqual(mirror.enforcedAll(['ip:203.0.113.7'], T0), []);
    assert.deepEqual(mirror.active(T0), [shadow]);
  });

  it('enforces nothing against an entity it has no decision for', () => {
    const mirror = new DecisionMirror();
    mirror.apply(decision('ip:203.0.113.7'));
    assert.deepEqual(mirror.enforcedAll(['ip:198.51.100.23', 'user:alice@example.com'], T0), []);
  });

  it('lists every enforced decision in force against the entities of a request, for a verdict to weigh', () => {
    const mirror = new DecisionMirror();
    const user = decision('user:alice@example.com');
    const address = decision('ip:203.0.113.7', { ttlMs: 2 * TTL });
    const shadow = decision('ip:203.0.113.8', { mode: 'shadow' });
    for (const d of [user, address, shadow]) mirror.apply(d);
    assert.deepEqual(mirror.enforcedAll(['user:alice@example.com', 'ip:203.0.113.7', 'ip:203.0.113.8'], T0), [user, address]);
    assert.deepEqual(mirror.enforcedAll(['user:alice@example.com', 'ip:203.0.113.7'], T0 + TTL), [address]);
  });

  it('keeps the later expiry when an older decision arrives after it', () => {
    const mirror = new DecisionMirror();
    const later = decision('ip:203.0.113.7', { decidedAt: T0 + 60_000 });
    const older = decision('ip:203.0.113.7', { decidedAt: T0 });
    mirror.apply(later);
    mirror.apply(older);
    assert.deepEqual(mirror.enforcedAll(['ip:203.0.113.7'], T0 + TTL + 30_000), [later]);
    assert.deepEqual(mirror.active(T0), [later]);
  });

  it('extends a decision when a later one with the same id arrives', () => {
    const mirror = new DecisionMirror();
    mirror.apply(decision('ip:203.0.113.7', { decidedAt: T0 }));
    const extended = decision('ip:203.0.113.7', { decidedAt: T0 + 10 * 60_000 });
    mirror.apply(extended);
    assert.deepEqual(mirror.enforcedAll(['ip:203.0.113.7'], T0 + TTL), [extended]);
  });

  it('lists active decisions soonest expiry first, without the expired ones', () => {
    const mirror = new DecisionMirror();
    const short = decision('ip:198.51.100.23', { ttlMs: 60_000 });
    const long = decision('ip:203.0.113.7', { ttlMs: 2 * TTL });
    const medium = decision('user:alice@example.com', { ttlMs: TTL });
    for (const d of [long, short, medium]) mirror.apply(d);
    assert.deepEqual(mirror.active(T0), [short, medium, long]);
    assert.deepEqual(mirror.active(T0 + 60_000), [medium, long]);
  });

  it('purges expired decisions, counts them, and keeps the rest', () => {
    const mirror = new DecisionMirror();
    const short = decision('ip:198.51.100.23', { ttlMs: 60_000 });
    const long = decision('ip:203.0.113.7', { ttlMs: TTL });
    mirror.apply(short);
    mirror.apply(long);
    assert.equal(mirror.purge(T0 + 59_999), 0);
    assert.equal(mirror.purge(T0 + 60_000), 1);
    assert.deepEqual(mirror.active(0), [long]);
    assert.deepEqual(mirror.enforcedAll(['ip:203.0.113.7'], T0 + 60_000), [long]);
    assert.equal(mirror.purge(T0 + TTL), 1);
    assert.deepEqual(mirror.active(0), []);
  });

  it('ends a decision at once when its reverted form arrives, whatever the expiry it had', () => {
    const mirror = new DecisionMirror();
    const deny = decision('ip:203.0.113.7');
    mirror.apply(deny);
    mirror.apply({ ...deny, state: 'reverted', expiresAt: T0 + 60_000 });
    assert.deepEqual(mirror.enforcedAll(['ip:203.0.113.7'], T0 + 60_000), []);
    assert.deepEqual(mirror.active(T0 + 60_000), []);
  });
});
