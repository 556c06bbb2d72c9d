import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '@ratchet/kernel';
import { ActionCapGuard, compileAllowlist } from './guards';

describe('compileAllowlist', () => {
  it('allows a listed address and not its neighbours', () => {
    const allowlist = compileAllowlist(['203.0.113.7']);
    assert.equal(allowlist.allows('ip:203.0.113.7'), true);
    assert.equal(allowlist.allows('ip:203.0.113.6'), false);
    assert.equal(allowlist.allows('ip:203.0.113.8'), false);
  });

  it('allows every address of an IPv4 range, first and last included, and none outside', () => {
    const allowlist = compileAllowlist(['10.20.0.0/16']);
    assert.equal(allowlist.allows('ip:10.20.0.0'), true);
    assert.equal(allowlist.allows('ip:10.20.255.255'), true);
    assert.equal(allowlist.allows('ip:10.21.0.0'), false);
    assert.equal(allowlist.allows('ip:10.19.255.255'), false);
  });

  it('allows every address of an IPv6 range however it is written', () => {
    const allowlist = compileAllowlist(['2001:db8:abcd::/48']);
    assert.equal(allowlist.allows('ip:2001:db8:abcd::1'), true);
    assert.equal(allowlist.allows('ip:2001:0DB8:ABCD:ffff::1'), true);
    assert.equal(allowlist.allows('ip:2001:db8:abce::1'), false);
  });

  it('allows a listed IPv6 address exactly', () => {
    const allowlist = compileAllowlist(['2001:db8::10']);
    assert.equal(allowlist.allows('ip:2001:db8:0:0:0:0:0:10'), true);
    assert.equal(allowlist.allows('ip:2001:db8::11'), false);
  });

  it('allows listed entities exactly', () => {
    const allowlist = compileAllowlist(['user:breakglass@example.com', 'svc:spiffe://cluster.local/ns/mon/sa/prober']);
    assert.equal(allowlist.allows('user:breakglass@example.com'), true);
    assert.equal(allowlist.allows('svc:spiffe://cluster.local/ns/mon/sa/prober'), true);
    assert.equal(allowlist.allows('user:alice@example.com'), false);
  });

  it('matches addresses only against ip: entities', () => {
    assert.equal(compileAllowlist(['203.0.113.7']).allows('user:203.0.113.7'), false);
  });

  it('allows nothing when empty, and skips blank entries', () => {
    assert.equal(compileAllowlist([]).allows('ip:203.0.113.7'), false);
    assert.equal(compileAllowlist(['', '   ']).allows('ip:203.0.113.7'), false);
  });

  it('reads entries with surrounding whitespace', () => {
    assert.equal(compileAllowlist([' 198.51.100.0/24 ']).allows('ip:198.51.100.9'), true);
  });

  for (const entry of ['not an entry', 'host:web-1', 'alice', '203.0.113.300']) {
    it(`refuses ${JSON.stringify(entry)}, which is neither an address, a range nor an entity, quoting it`, () => {
      assert.throws(() => compileAllowlist([entry]), (err: unknown) => err instanceof AppError && err.code === 'CHAINS.INVALID_ALLOWLIST' && err.message.includes(`"${entry}"`));
    });
  }

  for (const entry of ['10.0.0.0/33', '10.0.0.0/-1', '10.0.0.0/8.5', '10.0.0.0/eight', '2001:db8::/129']) {
    it(`refuses the range ${entry}, whose prefix length is invalid`, () => {
      assert.throws(() => compileAllowlist([entry]), { code: 'CHAINS.INVALID_ALLOWLIST', message: `allowlist: "${entry}" has an invalid prefix length` });
    });
  }

  // A trailing slash must not read as /0, which would spare every address of the family.
  for (const entry of ['10.0.0.0/', '2001:db8::/']) {
    it(`refuses the range ${entry}, which has no prefix length, rather than allowing every address`, () => {
      assert.throws(() => compileAllowlist([entry]), { code: 'CHAINS.INVALID_ALLOWLIST', message: `allowlist: "${entry}" has an invalid prefix length` });
    });
  }
});

describe('ActionCapGuard', () => {
  const T0 = Date.parse('2026-11-24T10:00:00.000Z');

  it('admits new actions up to the cap per minute, then again once the oldest is a minute old', () => {
    const guard = new ActionCapGuard({ newPerMinute: 2, active: 100 });
    assert.deepEqual(guard.admit(T0, 0), { admitted: true });
    assert.deepEqual(guard.admit(T0 + 1_000, 1), { admitted: true });
    assert.deepEqual(guard.admit(T0 + 59_999, 2), { admitted: false, detail: '2 new actions in the last minute, the cap is 2' });
    assert.deepEqual(guard.admit(T0 + 60_000, 2), { admitted: true });
  });

  it('refuses a new action once the cap on actions in force is reached', () => {
    const guard = new ActionCapGuard({ newPerMinute: 100, active: 3 });
    assert.deepEqual(guard.admit(T0, 2), { admitted: true });
    assert.deepEqual(guard.admit(T0, 3), { admitted: false, detail: '3 actions in force, the cap is 3' });
  });
});
