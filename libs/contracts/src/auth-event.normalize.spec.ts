import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileAuthEventAdmission, type Admission } from './auth-event.normalize';
import { CANONICAL_EVENT, INVALID_EVENTS, VALID_EVENTS, withFields } from './fixtures/auth-event-corpus';

const admit = compileAuthEventAdmission();
const OBSERVED_AT = Date.parse('2026-11-24T10:00:02.500Z');

function admitted(input: unknown, newId?: () => string) {
  const result = admit(input, newId ? { observedAt: OBSERVED_AT, newId } : { observedAt: OBSERVED_AT });
  assert.ok(result.ok, `refused: ${result.ok ? '' : result.errors.join('; ')}`);
  return result.event;
}

function refused(input: unknown): string[] {
  const result: Admission = admit(input, { observedAt: OBSERVED_AT });
  assert.equal(result.ok, false, 'admitted an invalid event');
  return result.ok ? [] : result.errors;
}

describe('compileAuthEventAdmission', () => {
  it('admits a valid canonical event, versioned, with its event time in epoch ms and when it was observed', () => {
    const event = admitted(withFields({}));
    assert.deepEqual(event, {
      ...CANONICAL_EVENT,
      v: 1,
      ts: Date.parse('2026-11-24T10:00:00.000Z'),
      observedAt: OBSERVED_AT,
    });
  });

  it('keeps the id an event brings, so re-ingesting it is idempotent', () => {
    const event = admitted(withFields({ id: 'okta-8f1c2e' }), () => 'assigned');
    assert.equal(event.id, 'okta-8f1c2e');
  });

  it('assigns an id to an event that brings none', () => {
    const event = admitted(withFields({ id: undefined }), () => 'assigned-1');
    assert.equal(event.id, 'assigned-1');
  });

  it('assigns a random UUID by default, a different one per event', () => {
    const a = admitted(withFields({ id: undefined }));
    const b = admitted(withFields({ id: undefined }));
    assert.match(a.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(a.id, b.id);
  });

  it('derives the event time from the offset the producer wrote', () => {
    const event = admitted(withFields({ time: '2026-11-24T11:00:00+01:00' }));
    assert.equal(event.ts, Date.parse('2026-11-24T10:00:00Z'));
    assert.equal(event.time, '2026-11-24T11:00:00+01:00');
  });

  it('accepts IPv6 client addresses', () => {
    assert.equal(admitted(withFields({ client: { ip: '2001:db8::7' } })).client?.ip, '2001:db8::7');
    assert.equal(admitted(withFields({ client: { ip: '::1' } })).client?.ip, '::1');
  });

  it('does not change the input it admits', () => {
    const input = withFields({ id: undefined });
    const before = structuredClone(input);
    admitted(input);
    assert.deepEqual(input, before);
  });

  for (const { name, input } of VALID_EVENTS) {
    it(`admits ${name}`, () => {
      assert.equal(admitted(input).v, 1);
    });
  }

  it('refuses an event without time, naming the field', () => {
    assert.deepEqual(refused(withFields({ time: undefined })), ['time: is required']);
  });

  it('refuses an unknown plane, naming the field and the planes it may be', () => {
    assert.deepEqual(refused(withFields({ plane: 'sideways' })), ['plane: must be one of north-south, east-west, control']);
  });

  it('refuses a client address that is not one, naming client.ip', () => {
    assert.deepEqual(refused(withFields({ client: { ip: '999.1.1.1' } })), ['client.ip: must be an IPv4 or IPv6 address']);
  });

  it('refuses a time without an offset, naming the field', () => {
    assert.deepEqual(refused(withFields({ time: '2026-11-24T10:00:00' })), ['time: must be an ISO-8601 date-time with offset']);
  });

  it('refuses a field AuthEvent does not have, naming it', () => {
    assert.deepEqual(refused(withFields({ tenant: 'acme' })), ['tenant: is not a field of AuthEvent']);
  });

  it('refuses a principal id that is not a string, naming principal.id', () => {
    assert.deepEqual(refused(withFields({ principal: { type: 'user', id: 42 } })), ['principal.id: must be string']);
  });

  it('refuses input that is not an object', () => {
    assert.deepEqual(refused('login failed for alice'), ['(event): must be object']);
    assert.deepEqual(refused(null), ['(event): must be object']);
  });

  it('refuses an array, even of valid events', () => {
    assert.deepEqual(refused([withFields({})]), ['(event): must be object']);
  });

  it('names every broken field at once, each once', () => {
    const errors = refused(withFields({ time: undefined, plane: 'sideways', client: { ip: 'nope' } }));
    assert.deepEqual([...errors].sort(), ['client.ip: must be an IPv4 or IPv6 address', 'plane: must be one of north-south, east-west, control', 'time: is required']);
  });

  for (const { rule, input, field } of INVALID_EVENTS) {
    it(`refuses an event that breaks "${rule}", naming ${field}`, () => {
      const errors = refused(input);
      assert.ok(
        errors.some((e) => e.startsWith(`${field}: `)),
        `no error names ${field}: ${JSON.stringify(errors)}`,
      );
    });
  }
});
