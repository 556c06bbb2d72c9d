import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ENTITY_KINDS, entityRef, parseEntityRef } from './entity';

describe('parseEntityRef', () => {
  it('splits an address entity into kind and id', () => {
    assert.deepEqual(parseEntityRef('ip:203.0.113.7'), { kind: 'ip', id: '203.0.113.7' });
  });

  it('keeps the colons of an IPv6 address in the id', () => {
    assert.deepEqual(parseEntityRef('ip:2001:db8::1'), { kind: 'ip', id: '2001:db8::1' });
  });

  it('keeps a SPIFFE id whole', () => {
    assert.deepEqual(parseEntityRef('svc:spiffe://cluster.local/ns/shop/sa/cart'), {
      kind: 'svc',
      id: 'spiffe://cluster.local/ns/shop/sa/cart',
    });
  });

  it('reads back every kind entityRef writes', () => {
    for (const kind of ENTITY_KINDS) assert.deepEqual(parseEntityRef(entityRef(kind, 'x@y')), { kind, id: 'x@y' });
  });

  for (const raw of ['host:web-1', 'IP:203.0.113.7', 'user:', ':alice', 'alice', '', ':']) {
    it(`answers undefined for ${JSON.stringify(raw)}, which names no known kind and id`, () => {
      assert.equal(parseEntityRef(raw), undefined);
    });
  }
});
