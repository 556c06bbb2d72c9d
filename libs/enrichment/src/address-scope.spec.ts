import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileAddressScopes } from './address-scope';

describe('compileAddressScopes', () => {
  const scopes = compileAddressScopes();
  const cases: ReadonlyArray<readonly [string, string, string | undefined]> = [
    ['an address on the internet is public', '81.2.69.142', 'public'],
    ['an IPv6 address on the internet is public', '2a02:d200::1', 'public'],
    ['RFC 1918 10/8 is private', '10.12.0.7', 'private'],
    ['RFC 1918 172.16/12 is private, its last address too', '172.31.255.255', 'private'],
    ['172.32.0.1, just past 172.16/12, is public', '172.32.0.1', 'public'],
    ['RFC 1918 192.168/16 is private', '192.168.1.20', 'private'],
    ['an IPv6 unique-local address (fc00::/7) is private', 'fd12:3456::1', 'private'],
    ['127/8 is loopback, not only 127.0.0.1', '127.8.9.10', 'loopback'],
    ['::1 is loopback', '::1', 'loopback'],
    ['169.254/16 is link-local', '169.254.169.254', 'link-local'],
    ['fe80::/10 is link-local', 'fe80::1ff:fe23:4567:890a', 'link-local'],
    ['the carrier-grade NAT range 100.64/10 is shared', '100.100.1.1', 'shared'],
    ['100.128.0.1, just past 100.64/10, is public', '100.128.0.1', 'public'],
    ['0.0.0.0 is reserved', '0.0.0.0', 'reserved'],
    ['the benchmarking range 198.18/15 is reserved', '198.19.0.1', 'reserved'],
    ['multicast is reserved', '239.255.255.250', 'reserved'],
    ['the limited broadcast address is reserved', '255.255.255.255', 'reserved'],
    ['IPv6 multicast is reserved', 'ff02::1', 'reserved'],
    ['the IPv6 unspecified address is reserved', '::', 'reserved'],
    ['the NAT64 well-known prefix stays public (it maps internet hosts)', '64:ff9b::5102:458e', 'public'],
    ['AS112 (192.31.196/24) is globally reachable, so public', '192.31.196.1', 'public'],
    ['an IPv4-mapped IPv6 address is scoped as the IPv4 address it maps', '::ffff:10.0.0.1', 'private'],
    ['an upper-case IPv6 spelling is understood', 'FE80::1', 'link-local'],
    ['an IPv4-mapped address written in full is understood', '0:0:0:0:0:ffff:192.168.0.1', 'private'],
    ['an IPv4-mapped address written in hex is understood', '::ffff:7f00:1', 'loopback'],
    ['100.63.255.255, just before 100.64/10, is public', '100.63.255.255', 'public'],
    ['an IPv6 address with a zone names a link, not a client', 'fe80::1%eth0', undefined],
    ['a documentation address is public by default (demos and tests use them as the internet)', '203.0.113.7', 'public'],
    ['the IPv6 documentation prefix is public by default', '2001:db8::7', 'public'],
    ['a host name is not an address', 'example.com', undefined],
    ['an address with a port is not an address', '203.0.113.7:443', undefined],
    ['an empty string is not an address', '', undefined],
  ];
  for (const [name, address, scope] of cases) {
    it(name, () => assert.equal(scopes.scopeOf(address), scope));
  }

  it('scopes every documentation range as reserved when asked to', () => {
    const strict = compileAddressScopes({ documentation: 'reserved' });
    for (const address of ['192.0.2.1', '198.51.100.20', '203.0.113.7', '2001:db8::7', '3fff::1']) {
      assert.equal(strict.scopeOf(address), 'reserved', address);
    }
    assert.equal(strict.scopeOf('81.2.69.142'), 'public');
  });
});
