import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { enforcementAction } from '@ratchet/testing';
import { compileWebhookSettings, readWebhookSettings, receiverTakes } from './webhook-receivers';

const ENV = { PAGER_SECRET: 'pg-1b2c3d4e5f607182' };
const PAGER = { name: 'pager', url: 'https://hooks.example.com/ratchet', secretEnv: 'PAGER_SECRET', actions: ['notify'], timeout: '2s' };
const IDP = { name: 'idp', url: 'https://idp.example.com/ssf/push', secret: 'idp-9a8b7c6d5e4f3a2b', format: 'caep' };

function problem(raw: unknown): string {
  try {
    compileWebhookSettings(raw, ENV);
  } catch (err) {
    return (err as Error).message;
  }
  return 'accepted';
}

describe('webhook receivers', () => {
  it('compiles receivers with their defaults and resolves a secret from the environment', () => {
    const settings = compileWebhookSettings({ issuer: 'https://ratchet.example.com', receivers: [PAGER, IDP] }, ENV);
    assert.equal(settings.issuer, 'https://ratchet.example.com');
    assert.equal(settings.backoffMs, 1_000);
    assert.deepEqual(settings.receivers[0], { name: 'pager', url: PAGER.url, secret: ENV.PAGER_SECRET, format: 'json', actions: ['notify'], timeoutMs: 2_000, retries: 3, audience: PAGER.url });
    assert.deepEqual(settings.receivers[1]?.actions, ['session.revoke']);
  });

  it('names the receiver and the field of every problem', () => {
    assert.equal(problem([{ ...PAGER, secretEnv: 'MISSING_SECRET' }]), 'receivers[0] (pager).secretEnv: MISSING_SECRET is not set or shorter than 16 characters');
    assert.equal(problem([{ ...PAGER, url: 'ftp://hooks.example.com' }]), 'receivers[0] (pager).url: must use https: or http:, not ftp:');
    assert.equal(problem([PAGER, { ...IDP, actions: ['session.revoke', 'notify'] }]), 'receivers[1] (idp).actions: a caep receiver takes session.revoke only (CAEP has no event for notify)');
    assert.equal(problem([{ ...PAGER, actions: ['ingress.deny'] }]), 'receivers[0] (pager).actions: "ingress.deny" is not one of notify, session.revoke');
    assert.equal(problem([{ ...PAGER, timeout: 'soon' }]), 'receivers[0] (pager).timeout: "soon" is not a duration (use e.g. 500ms, 30s, 5m, 1h, 7d)');
    assert.equal(problem([{ ...IDP, format: 'xml' }]), 'receivers[0] (idp).format: must be one of json, caep');
    assert.equal(problem([{ ...IDP, secret: 'short' }]), 'receivers[0] (idp).secret: is required: a string of at least 16 characters (or name a variable in secretEnv)');
    assert.equal(problem([{ ...IDP, retry: 2 }]), 'receivers[0] (idp).retry: unknown field (known: name, url, secret, secretEnv, format, actions, channels, timeout, retries, audience)');
    assert.equal(problem([IDP, { ...IDP }]), 'receivers[1] (idp).name: is used by another receiver');
    assert.equal(problem({ receivers: {} }), 'receivers: must be a list');
  });

  it('reads a YAML file and prefixes a problem with the variable and the path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ratchet-webhooks-'));
    const file = join(dir, 'webhooks.yaml');
    writeFileSync(file, 'issuer: https://ratchet.example.com\nreceivers:\n  - name: idp\n    url: https://idp.example.com/ssf/push\n    format: caep\n    secretEnv: IDP_SECRET\n');
    assert.equal(readWebhookSettings({ RATCHET_WEBHOOKS: file, IDP_SECRET: 'idp-9a8b7c6d5e4f3a2b' })?.receivers[0]?.format, 'caep');
    assert.throws(() => readWebhookSettings({ RATCHET_WEBHOOKS: file }), { message: `RATCHET_WEBHOOKS: ${file}: receivers[0] (idp).secretEnv: IDP_SECRET is not set or shorter than 16 characters` });
    assert.equal(readWebhookSettings({}), undefined);
  });

  it('sends enforced notify and session.revoke changes, never shadow ones, and to a caep receiver only revocations', () => {
    const { receivers } = compileWebhookSettings([{ ...PAGER, actions: ['notify', 'session.revoke'], channels: ['soc'] }, IDP], ENV);
    const [pager, idp] = receivers as [(typeof receivers)[number], (typeof receivers)[number]];
    const revoke = enforcementAction('session.revoke', 'user:alice@example.com');
    assert.equal(receiverTakes(pager, revoke), true);
    assert.equal(receiverTakes(idp, revoke), true);
    assert.equal(receiverTakes(idp, { ...revoke, state: 'reverted' }), false);
    assert.equal(receiverTakes(pager, { ...revoke, state: 'reverted' }), true);
    assert.equal(receiverTakes(pager, { ...revoke, mode: 'shadow' }), false);
    assert.equal(receiverTakes(pager, enforcementAction('ingress.deny', 'ip:203.0.113.7')), false);
    assert.equal(receiverTakes(pager, enforcementAction('notify', 'ip:203.0.113.7', { params: { channel: 'soc' } })), true);
    assert.equal(receiverTakes(pager, enforcementAction('notify', 'ip:203.0.113.7')), false);
  });
});
