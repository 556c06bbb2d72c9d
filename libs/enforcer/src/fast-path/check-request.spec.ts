import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileTrustedProxies } from '@ratchet/kernel';
import { principalFromXfcc } from './check-request';
import { compileFailModes } from './fail-mode';
import { readHttpCheck } from './http-check';

const RIDER = 'spiffe://cluster.local/ns/shop/sa/rider';

describe('principalFromXfcc', () => {
  it('reads the SPIFFE id of the URI field Envoy sets', () => {
    assert.equal(principalFromXfcc(`By=spiffe://cluster.local/ns/shop/sa/gateway;Hash=468ed33be74eee6556d90c0149c1309e9ba61d6425303443c0748a02dd8de688;URI=${RIDER}`), RIDER);
  });

  it('takes the hop the nearest proxy added, and quoted values with separators in them', () => {
    const xfcc = `By=spiffe://a;URI=spiffe://cluster.local/ns/x/sa/first,By=spiffe://b;Subject="CN=rider,O=shop";URI="${RIDER}"`;
    assert.equal(principalFromXfcc(xfcc), RIDER);
  });

  it('finds no principal without a SPIFFE URI', () => {
    assert.equal(principalFromXfcc('Hash=abc;Subject="CN=rider"'), undefined);
    assert.equal(principalFromXfcc('URI=https://rider.example.com'), undefined);
    assert.equal(principalFromXfcc(undefined), undefined);
    assert.equal(principalFromXfcc(''), undefined);
  });
});

describe('readHttpCheck', () => {
  const trusted = compileTrustedProxies(['10.0.0.0/8']);
  const settings = { failModes: compileFailModes('open', []), subjectHeader: 'x-jwt-sub' };
  const headers = { 'x-forwarded-for': '198.51.100.7', 'x-forwarded-client-cert': `URI=${RIDER}`, 'x-jwt-sub': 'alice@example.com', 'x-ratchet-fail-mode': 'closed', host: 'shop.example.com' };

  it('believes the client, principal, subject and fail mode a trusted proxy reports', () => {
    const { check, requestedFailMode } = readHttpCheck('10.1.2.3', headers, { path: '/cart', method: 'POST' }, trusted, settings);
    assert.deepEqual(check, { clientIp: '198.51.100.7', principal: RIDER, subject: 'alice@example.com', path: '/cart', method: 'POST', host: 'shop.example.com' });
    assert.equal(requestedFailMode, 'closed');
  });

  it('judges anyone else by its own address, with no identity it merely claims', () => {
    const { check, requestedFailMode } = readHttpCheck('203.0.113.9', headers, { path: '/cart', method: 'POST' }, trusted, settings);
    assert.deepEqual(check, { clientIp: '203.0.113.9', path: '/cart', method: 'POST', host: 'shop.example.com' });
    assert.equal(requestedFailMode, undefined);
  });
});
