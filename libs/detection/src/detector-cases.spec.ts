import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuthEvent, RiskSignal } from '@ratchet/contracts';
import { ManualClock, parseDuration } from '@ratchet/kernel';
import { authEvent, failedLogins, MemoryStateStore } from '@ratchet/testing';
import { detectBatch } from './batch-detection';
import { replayCase } from './fixtures/replay-case';
import { compileDetectors, DETECTORS } from './catalogue';
import { InvalidDetectorConfig } from './detector-config';
import { DETECTOR_CASES, INVALID_DETECTOR_SETTINGS, PLACES, type CompactEvent, type DetectorCase } from './fixtures/detector-cases';

const T0 = Date.parse('2026-11-24T10:00:00.000Z');

/** The catalogue compiled with `settings`, narrowed to the detectors a test is about. */
function detectorsNamed(ids: readonly string[], settings?: Parameters<typeof compileDetectors>[0]) {
  return compileDetectors(settings).filter((d) => ids.includes(d.id));
}

function expand(compact: CompactEvent): AuthEvent[] {
  if ('failures' in compact) {
    const { failures, ip, every = '1s', from = '0s', principals = 'one', idPrefix } = compact;
    return failedLogins(ip, failures, {
      start: T0 + parseDuration(from),
      stepMs: parseDuration(every),
      distinctPrincipals: principals === 'distinct',
      ...(idPrefix === undefined ? {} : { idPrefix }),
    });
  }
  const { at, ip, outcome = 'failure', principal = 'alice@example.com', id, action = 'login', place, asn, userAgent, deviceId, tokenId, sessionId, facts, host, mfa } = compact;
  return [
    authEvent({
      ...(id === undefined ? {} : { id }),
      ts: T0 + parseDuration(at),
      action,
      outcome,
      client: {
        ip,
        ...(place === undefined ? {} : { scope: 'public' as const, geo: PLACES[place] }),
        ...(asn === undefined ? {} : { asn: { number: asn } }),
        ...(userAgent === undefined ? {} : { userAgent }),
        ...(deviceId === undefined ? {} : { deviceId }),
        ...(tokenId === undefined ? {} : { tokenId }),
        ...(sessionId === undefined ? {} : { sessionId }),
      },
      principal: principal === null ? { type: 'anonymous' } : { type: 'user', id: principal },
      target: { host: host ?? 'login.example.com', path: '/login' },
      ...(facts === undefined ? {} : { facts }),
      ...(mfa === undefined ? {} : { auth: { mfa } }),
    }),
  ];
}

/** What a case compares: type, entity and evidence. */
function observed(signals: readonly RiskSignal[]) {
  return signals.map(({ type, entity, evidence }) => ({ type, entity, ...evidence }));
}

async function run(testCase: DetectorCase, batchSize = Number.POSITIVE_INFINITY): Promise<RiskSignal[]> {
  const detectors = compileDetectors(testCase.settings).filter((d) => !testCase.only || testCase.only.includes(d.id));
  return replayCase(testCase.events.flatMap(expand), detectors, () => new MemoryStateStore(new ManualClock(T0)), { batchSize, ...(testCase.deliveries ? { deliveries: testCase.deliveries } : {}) });
}

describe('detector cases', () => {
  for (const testCase of DETECTOR_CASES) {
    it(testCase.name, async () => {
      assert.deepEqual(observed(await run(testCase)), testCase.expect.signals);
    });
  }

  it('gives the same signals for every case when each event is a batch of its own', async () => {
    for (const testCase of DETECTOR_CASES) {
      assert.deepEqual(observed(await run(testCase, 1)), testCase.expect.signals, testCase.name);
    }
  });

  it('names both logins of an impossible travel as the events behind it, the one that fired first', async () => {
    const signals = await run({
      name: 'travel',
      only: ['auth.impossible-travel'],
      events: [
        { at: '0s', ip: '198.51.100.10', outcome: 'success', place: 'Berlin', id: 'berlin' },
        { at: '1h', ip: '203.0.113.50', outcome: 'success', place: 'Singapore', id: 'singapore' },
      ],
      expect: { signals: [] },
    });
    assert.deepEqual(
      signals.map((s) => [s.type, s.eventIds]),
      [['impossible_travel', ['singapore', 'berlin']]],
    );
  });

  it('names every case differently', () => {
    const names = DETECTOR_CASES.map((c) => c.name);
    assert.deepEqual(names, [...new Set(names)]);
  });
});

describe('brute-force signal', () => {
  it('points at the event that crossed the threshold, in event time, with an id a redelivery repeats', async () => {
    const events = failedLogins('203.0.113.7', 6, { start: T0, stepMs: 10_000 });
    const state = new MemoryStateStore(new ManualClock(T0));
    const detectors = detectorsNamed(['auth.brute-force']);
    const first = await detectBatch(events, detectors, state);
    const again = await detectBatch(events, detectors, state);
    assert.deepEqual(first, [
      {
        v: 1,
        id: 'auth.brute-force|ip:203.0.113.7|203.0.113.7-5',
        type: 'brute_force',
        detector: 'auth.brute-force',
        entity: 'ip:203.0.113.7',
        severity: 0.8,
        confidence: 0.75,
        at: T0 + 50_000,
        evidence: { failures: 6, threshold: 6, windowMs: 300_000 },
        eventIds: ['203.0.113.7-5'],
      },
    ]);
    // Redelivered, every event sees the full window (it ends at the newest event), but the count
    // never grows past the six distinct events, and the newest one yields the same signal.
    assert.ok(again.every((s) => s.evidence['failures'] === 6));
    assert.deepEqual(again.at(-1), first[0]);
  });

  it('grows more confident up to twice the threshold, and no further', async () => {
    const events = failedLogins('203.0.113.7', 45, { start: T0, stepMs: 1_000 });
    const signals = await detectBatch(events, detectorsNamed(['auth.brute-force']), new MemoryStateStore(new ManualClock(T0)));
    const confidence = new Map(signals.map((s) => [s.evidence['failures'], s.confidence]));
    assert.equal(confidence.get(6), 0.75);
    assert.equal(confidence.get(9), 0.875);
    assert.equal(confidence.get(12), 1);
    assert.equal(confidence.get(45), 1);
  });
});

describe('stateless detectors in a batch', () => {
  const ipsum = { name: 'ipsum', entries: [{ indicator: '198.51.100.0/24', confidence: 0.5 }] };
  const tor = { name: 'tor-exits', labels: ['tor'], entries: [{ indicator: '192.0.2.10', confidence: 1 }] };

  it('run on every event although they plan no state, beside detectors that do', async () => {
    const detectors = detectorsNamed(['intel.blocklisted-address', 'intel.anonymizer', 'auth.brute-force'], {
      'intel.blocklisted-address': { feeds: [ipsum] },
      'intel.anonymizer': { feeds: [tor] },
    });
    const events = [
      authEvent({ id: 'listed', client: { ip: '198.51.100.9' }, action: 'request', outcome: 'success' }),
      authEvent({ id: 'tor-login', client: { ip: '192.0.2.10' }, action: 'login', outcome: 'success' }),
      authEvent({ id: 'clean', client: { ip: '203.0.113.1' } }),
      ...failedLogins('203.0.113.7', 6, { start: T0 }),
    ];
    const state = new MemoryStateStore(new ManualClock(T0));
    const signals = await detectBatch(events, detectors, state);
    assert.deepEqual(
      signals.map((s) => `${s.detector} ${s.entity} ${s.eventIds.join()}`),
      ['intel.blocklisted-address ip:198.51.100.9 listed', 'intel.anonymizer ip:192.0.2.10 tor-login', 'auth.brute-force ip:203.0.113.7 203.0.113.7-5'],
    );
  });

  it('run without a round trip to the state store when no detector plans state', async () => {
    const onlyStateless = Object.fromEntries(DETECTORS.map((d) => [d.id, d.stateless === true ? {} : false]));
    const detectors = compileDetectors({ ...onlyStateless, 'intel.blocklisted-address': { feeds: [ipsum] } });
    const state = new MemoryStateStore(new ManualClock(T0));
    let roundTrips = 0;
    const counting = { execute: (ops: Parameters<typeof state.execute>[0]) => (roundTrips++, state.execute(ops)), close: () => state.close() };
    const signals = await detectBatch([authEvent({ id: 'e1', client: { ip: '198.51.100.1' }, outcome: 'success' })], detectors, counting);
    assert.deepEqual(
      signals.map((s) => s.type),
      ['blocklisted_address'],
    );
    assert.equal(roundTrips, 0);
  });
});

describe('compileDetectors', () => {
  it('enables every detector Ratchet ships when given no settings', () => {
    assert.deepEqual(
      compileDetectors().map((d) => d.id),
      DETECTORS.map((d) => d.id),
    );
  });

  it('ships detectors with unique, dotted ids', () => {
    const ids = DETECTORS.map((d) => d.id);
    assert.deepEqual(ids, [...new Set(ids)]);
    for (const id of ids) assert.match(id, /^[a-z][a-z0-9]*\.[a-z-]+$/);
  });

  it('switches a detector off with false', () => {
    assert.deepEqual(
      compileDetectors({ 'auth.password-spray': false }).map((d) => d.id),
      DETECTORS.map((d) => d.id).filter((id) => id !== 'auth.password-spray'),
    );
    assert.deepEqual(compileDetectors(Object.fromEntries(DETECTORS.map((d) => [d.id, false]))), []);
  });

  for (const { rule, settings, detector, field } of INVALID_DETECTOR_SETTINGS) {
    it(`refuses settings that break "${rule}", naming ${detector} and ${field}`, () => {
      assert.throws(
        () => compileDetectors(settings),
        (err: unknown) => {
          assert.ok(err instanceof InvalidDetectorConfig, `threw ${String(err)}`);
          assert.equal(err.code, 'DETECTION.INVALID_CONFIG');
          assert.ok(err.message.startsWith(`${detector}.${field}: `), err.message);
          return true;
        },
      );
    });
  }

  it('names the detector and field once when a window is not a duration', () => {
    assert.throws(
      () => compileDetectors({ 'auth.brute-force': { window: '5 minutes' } }),
      (err: unknown) => {
        assert.ok(err instanceof InvalidDetectorConfig);
        assert.equal(err.message.split('auth.brute-force.window').length - 1, 1, err.message);
        assert.match(err.message, /"5 minutes"/);
        return true;
      },
    );
  });
});
