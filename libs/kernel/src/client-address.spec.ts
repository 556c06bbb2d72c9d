import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileTrustedProxies, forwardedClientAddress, resolveClientAddress } from './client-address';

/** The ingress controller runs on loopback and in 10.0.0.0/8; nothing else is believed. */
const trusted = compileTrustedProxies(['127.0.0.1/32', '::1/128', '10.0.0.0/8']);

type Headers = Readonly<Record<string, string | string[] | undefined>>;

interface ClientAddressCase {
  name: string;
  peer: string;
  headers: Headers;
  client: string;
}

const CASES: readonly ClientAddressCase[] = [
  // A peer that is not a trusted proxy is the client, whatever it claims.
  { name: 'an untrusted peer without forwarding headers is the client', peer: '203.0.113.7', headers: {}, client: '203.0.113.7' },
  { name: 'an untrusted peer cannot name another client in X-Forwarded-For', peer: '203.0.113.7', headers: { 'x-forwarded-for': '198.51.100.1' }, client: '203.0.113.7' },
  { name: 'an untrusted peer cannot name another client in X-Real-IP', peer: '203.0.113.7', headers: { 'x-real-ip': '198.51.100.1' }, client: '203.0.113.7' },
  { name: 'an untrusted IPv6 peer is the client', peer: '2001:db8::7', headers: { 'x-real-ip': '198.51.100.1' }, client: '2001:db8::7' },

  // A trusted peer: X-Forwarded-For is walked from the right, skipping trusted hops.
  { name: 'a trusted peer with one forwarded hop names that hop', peer: '127.0.0.1', headers: { 'x-forwarded-for': '203.0.113.7' }, client: '203.0.113.7' },
  {
    name: 'trusted hops at the right of X-Forwarded-For are skipped',
    peer: '127.0.0.1',
    headers: { 'x-forwarded-for': '203.0.113.7, 10.1.2.3, 127.0.0.1' },
    client: '203.0.113.7',
  },
  {
    name: 'the rightmost untrusted hop is the client, so a spoofed left part is ignored',
    peer: '127.0.0.1',
    headers: { 'x-forwarded-for': '192.0.2.66, 203.0.113.7, 10.1.2.3' },
    client: '203.0.113.7',
  },
  {
    name: 'an untrusted hop stops the walk even when trusted ones sit left of it',
    peer: '10.0.0.1',
    headers: { 'x-forwarded-for': '203.0.113.7, 10.9.9.9, 198.51.100.20' },
    client: '198.51.100.20',
  },
  { name: 'when every hop is trusted the leftmost one is the client', peer: '127.0.0.1', headers: { 'x-forwarded-for': '10.0.0.5, 10.0.0.6' }, client: '10.0.0.5' },
  {
    name: 'repeated X-Forwarded-For headers are read as one list, in order',
    peer: '127.0.0.1',
    headers: { 'x-forwarded-for': ['203.0.113.7', '10.0.0.5'] },
    client: '203.0.113.7',
  },
  { name: 'hops are trimmed of spaces', peer: '127.0.0.1', headers: { 'x-forwarded-for': '   203.0.113.7  ,  10.0.0.5 ' }, client: '203.0.113.7' },
  { name: 'IPv6 hops are understood', peer: '::1', headers: { 'x-forwarded-for': '2001:db8::7, 127.0.0.1' }, client: '2001:db8::7' },
  { name: 'an IPv4-mapped hop is reported as plain IPv4', peer: '127.0.0.1', headers: { 'x-forwarded-for': '::ffff:203.0.113.7' }, client: '203.0.113.7' },
  {
    name: 'X-Forwarded-For wins over X-Real-IP when both are present',
    peer: '127.0.0.1',
    headers: { 'x-forwarded-for': '203.0.113.7', 'x-real-ip': '198.51.100.1' },
    client: '203.0.113.7',
  },

  // X-Real-IP is the fallback when X-Forwarded-For names no address.
  { name: 'a trusted peer with only X-Real-IP names that address', peer: '127.0.0.1', headers: { 'x-real-ip': '203.0.113.7' }, client: '203.0.113.7' },
  { name: 'X-Real-IP is trimmed', peer: '127.0.0.1', headers: { 'x-real-ip': ' 203.0.113.7 ' }, client: '203.0.113.7' },
  { name: 'the first of repeated X-Real-IP headers counts', peer: '127.0.0.1', headers: { 'x-real-ip': ['203.0.113.7', '198.51.100.1'] }, client: '203.0.113.7' },
  { name: 'an IPv6 X-Real-IP is understood', peer: '127.0.0.1', headers: { 'x-real-ip': '2001:db8::7' }, client: '2001:db8::7' },
  { name: 'an IPv4-mapped X-Real-IP is reported as plain IPv4', peer: '127.0.0.1', headers: { 'x-real-ip': '::ffff:203.0.113.7' }, client: '203.0.113.7' },
  { name: 'a trusted peer without forwarding headers is itself the client', peer: '127.0.0.1', headers: {}, client: '127.0.0.1' },

  // Node reports IPv4 peers of a dual-stack socket as IPv4-mapped IPv6.
  { name: 'an IPv4-mapped trusted peer is trusted', peer: '::ffff:127.0.0.1', headers: { 'x-real-ip': '203.0.113.7' }, client: '203.0.113.7' },
  { name: 'an IPv4-mapped untrusted peer is reported as plain IPv4', peer: '::ffff:203.0.113.7', headers: { 'x-real-ip': '198.51.100.1' }, client: '203.0.113.7' },

  // Garbage is never taken for an address.
  { name: 'X-Forwarded-For without any address falls back to X-Real-IP', peer: '127.0.0.1', headers: { 'x-forwarded-for': 'unknown, not-an-ip', 'x-real-ip': '203.0.113.7' }, client: '203.0.113.7' },
  { name: 'garbage hops among addresses are skipped', peer: '127.0.0.1', headers: { 'x-forwarded-for': '203.0.113.7, unknown, 10.0.0.5' }, client: '203.0.113.7' },
  { name: 'an empty X-Forwarded-For falls back to X-Real-IP', peer: '127.0.0.1', headers: { 'x-forwarded-for': '', 'x-real-ip': '203.0.113.7' }, client: '203.0.113.7' },
  { name: 'a garbage X-Real-IP leaves the peer as the client', peer: '127.0.0.1', headers: { 'x-real-ip': '<script>' }, client: '127.0.0.1' },
  { name: 'an out-of-range X-Real-IP leaves the peer as the client', peer: '127.0.0.1', headers: { 'x-real-ip': '203.0.113.256' }, client: '127.0.0.1' },
  { name: 'a hop with a port is not taken for an address', peer: '127.0.0.1', headers: { 'x-forwarded-for': '203.0.113.7:51234', 'x-real-ip': '198.51.100.1' }, client: '198.51.100.1' },
];

describe('resolveClientAddress', () => {
  for (const c of CASES) {
    it(c.name, () => {
      assert.equal(resolveClientAddress(c.peer, c.headers, trusted), c.client);
    });
  }

  it('treats an empty peer address as untrusted and reports it as it is', () => {
    assert.equal(resolveClientAddress('', { 'x-real-ip': '203.0.113.7' }, trusted), '');
  });
});

describe('forwardedClientAddress: X-Forwarded-For recorded in an access log', () => {
  it('names the right-most untrusted hop when the logged peer is a trusted proxy', () => {
    assert.equal(forwardedClientAddress('10.0.0.9', '192.0.2.66, 203.0.113.7, 10.1.2.3', trusted), '203.0.113.7');
  });

  it('keeps the logged peer when it is not a trusted proxy, whatever the header says', () => {
    assert.equal(forwardedClientAddress('198.51.100.4', '203.0.113.7', trusted), '198.51.100.4');
  });

  it('answers nothing when a trusted peer logged no address in the header, so the caller keeps the peer', () => {
    assert.equal(forwardedClientAddress('10.0.0.9', undefined, trusted), undefined);
    assert.equal(forwardedClientAddress('10.0.0.9', '-', trusted), undefined);
  });

  it('skips a hop with an IPv6 zone instead of failing on it', () => {
    assert.equal(forwardedClientAddress('10.0.0.9', '203.0.113.7, fe80::1%eth0', trusted), '203.0.113.7');
  });

  it('reads repeated headers as one list, in order', () => {
    assert.equal(forwardedClientAddress('10.0.0.9', ['203.0.113.7', '10.0.0.5'], trusted), '203.0.113.7');
  });
});

describe('compileTrustedProxies', () => {
  it('trusts single addresses and every address of a CIDR, in both families', () => {
    const proxies = compileTrustedProxies(['192.0.2.10', '10.0.0.0/8', 'fd00::/8']);
    assert.equal(proxies.trusts('192.0.2.10'), true);
    assert.equal(proxies.trusts('192.0.2.11'), false);
    assert.equal(proxies.trusts('10.255.0.1'), true);
    assert.equal(proxies.trusts('11.0.0.1'), false);
    assert.equal(proxies.trusts('fd12::1'), true);
    assert.equal(proxies.trusts('2001:db8::1'), false);
  });

  it('trusts nothing that is not an address', () => {
    const proxies = compileTrustedProxies(['0.0.0.0/0']);
    assert.equal(proxies.trusts('unknown'), false);
    assert.equal(proxies.trusts(''), false);
  });

  it('trusts nobody when the list is empty', () => {
    assert.equal(compileTrustedProxies([]).trusts('127.0.0.1'), false);
  });

  it('refuses an entry that is neither an address nor a CIDR, naming it', () => {
    assert.throws(() => compileTrustedProxies(['127.0.0.1/32', 'proxy.internal']), /trusted proxy "proxy\.internal" is not an address or CIDR/);
  });

  // A typo such as `10.0.0.0/` must stop the process: read as `/0` it trusts every IPv4 address,
  // and any client can then choose the address it is judged by with X-Real-IP.
  it('refuses a CIDR with an empty prefix length instead of trusting every address', () => {
    assert.throws(() => compileTrustedProxies(['10.0.0.0/']), /trusted proxy "10\.0\.0\.0\/"/);
  });

  for (const entry of ['10.0.0.0/abc', '10.0.0.0/33', '::1/129', '10.0.0.0/8/8']) {
    it(`refuses the prefix length of "${entry}" with a message naming the entry`, () => {
      assert.throws(() => compileTrustedProxies([entry]), (err: Error) => err.message.includes(`trusted proxy "${entry}"`));
    });
  }
});
