import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { enforcementAction } from '@ratchet/testing';
import {
  CAEP_SESSION_REVOKED,
  deliveryId,
  sessionRevokedClaims,
  signSet,
  signWebhook,
  subjectIdentifier,
  verifySet,
  verifyWebhookSignature,
  webhookBody,
} from './webhook-messages';

const SECRET = 'whsec-7f3a9c21d4b8e605';
const DECIDED = Date.parse('2026-03-14T09:26:53.000Z');
const REVOKE = enforcementAction('session.revoke', 'user:alice@example.com', {
  decidedAt: DECIDED,
  reason: { chain: 'account-takeover', step: 1, signalType: 'token_reuse', signalId: 'sig-41', score: 82 },
});

describe('webhook messages', () => {
  it('describes an action in the JSON body with its reason, params and ISO times', () => {
    const notify = enforcementAction('notify', 'ip:203.0.113.7', { params: { severity: 'critical' }, decidedAt: DECIDED });
    assert.deepEqual(webhookBody(notify), {
      id: deliveryId(notify),
      action: 'notify',
      state: 'applied',
      entity: 'ip:203.0.113.7',
      params: { severity: 'critical' },
      reason: notify.reason,
      decidedAt: '2026-03-14T09:26:53.000Z',
      expiresAt: '2026-03-14T10:26:53.000Z',
    });
  });

  it('gives a revert of the same decision its own delivery id, and a repeat of it the same one', () => {
    const reverted = { ...REVOKE, state: 'reverted' as const };
    assert.notEqual(deliveryId(REVOKE), deliveryId(reverted));
    assert.equal(deliveryId(REVOKE), deliveryId({ ...REVOKE }));
    assert.notEqual(deliveryId(REVOKE), deliveryId({ ...REVOKE, decidedAt: DECIDED + 7_200_000 }));
  });

  it('verifies a signature over the timestamp and the exact body', () => {
    const body = JSON.stringify(webhookBody(REVOKE));
    const header = signWebhook(body, SECRET, 1_773_480_413);
    assert.match(header, /^t=1773480413,v1=[0-9a-f]{64}$/);
    assert.deepEqual(verifyWebhookSignature(header, body, SECRET, 1_773_480_420), { ok: true, timestampS: 1_773_480_413 });
  });

  it('refuses a tampered body, another secret, and a replay older than five minutes', () => {
    const body = JSON.stringify(webhookBody(REVOKE));
    const header = signWebhook(body, SECRET, 1_773_480_413);
    const tampered = body.replace('user:alice@example.com', 'user:mallory@example.com');
    assert.deepEqual(verifyWebhookSignature(header, tampered, SECRET, 1_773_480_420), { ok: false, problem: 'signature does not match the body' });
    assert.equal(verifyWebhookSignature(header, body, 'another-secret-value', 1_773_480_420).ok, false);
    assert.deepEqual(verifyWebhookSignature(header, body, SECRET, 1_773_480_413 + 301), { ok: false, problem: 'timestamp 1773480413 is more than 300 s from now' });
    assert.equal(verifyWebhookSignature(undefined, body, SECRET, 1_773_480_420).ok, false);
  });

  it('names users by email, SPIFFE workloads by URI and tokens by an opaque id', () => {
    assert.deepEqual(subjectIdentifier('user:alice@example.com'), { format: 'email', email: 'alice@example.com' });
    assert.deepEqual(subjectIdentifier('user:alice'), { format: 'opaque', id: 'alice' });
    assert.deepEqual(subjectIdentifier('token:9f8e7d6c5b4a'), { format: 'opaque', id: '9f8e7d6c5b4a' });
    assert.deepEqual(subjectIdentifier('svc:spiffe://cluster.local/ns/shop/sa/cart'), { format: 'uri', uri: 'spiffe://cluster.local/ns/shop/sa/cart' });
  });

  it('signs a CAEP session-revoked SET that decodes to the RFC 8417 and SSF claims', () => {
    const claims = sessionRevokedClaims(REVOKE, { issuer: 'https://ratchet.example.com', audience: 'https://idp.example.com/ssf/push' }, 1_773_480_414);
    const token = signSet(claims, SECRET);
    const checked = verifySet(token, SECRET);
    assert.ok(checked.ok, checked.ok ? '' : checked.problem);
    assert.deepEqual(checked.header, { alg: 'HS256', typ: 'secevent+jwt' });
    assert.deepEqual(checked.claims, {
      iss: 'https://ratchet.example.com',
      aud: 'https://idp.example.com/ssf/push',
      iat: 1_773_480_414,
      jti: deliveryId(REVOKE),
      sub_id: { format: 'email', email: 'alice@example.com' },
      events: {
        [CAEP_SESSION_REVOKED]: {
          subject: { format: 'email', email: 'alice@example.com' },
          event_timestamp: 1_773_480_413,
          initiating_entity: 'policy',
          reason_admin: { en: 'Ratchet chain account-takeover step 1: token_reuse (risk 82)' },
        },
      },
    });
  });

  it('refuses a SET whose payload was changed or that was signed with another secret', () => {
    const token = signSet(sessionRevokedClaims(REVOKE, { issuer: 'urn:ratchet:enforcer', audience: 'https://idp.example.com' }, 1_773_480_414), SECRET);
    const [header, , signature] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ iss: 'urn:ratchet:enforcer', sub_id: { format: 'email', email: 'bob@example.com' } })).toString('base64url');
    assert.deepEqual(verifySet(`${header}.${forged}.${signature}`, SECRET), { ok: false, problem: 'signature does not match' });
    assert.deepEqual(verifySet(token, 'another-secret-value'), { ok: false, problem: 'signature does not match' });
  });
});
