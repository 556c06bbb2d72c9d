import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuthEvent, RiskSignal } from '@ratchet/contracts';
import { authEvent } from '@ratchet/testing';
import { bindDetector } from '../detector';
import { InvalidDetectorConfig } from '../detector-config';
import { anonymizerDetector } from './anonymizer.detector';
import { blocklistedAddressDetector } from './blocklisted-address.detector';
import { INTEL_DETECTOR_CASES, INVALID_INTEL_SETTINGS, IPSUM_SAMPLE, type CompactIntelEvent, type ObservedSignal } from './fixtures/intel-detector-cases';
import type { StatelessDetector } from './intel-detector';

const T0 = Date.parse('2026-11-24T10:00:00.000Z');
const DETECTORS: Record<string, StatelessDetector<unknown>> = {
  [blocklistedAddressDetector.id]: blocklistedAddressDetector,
  [anonymizerDetector.id]: anonymizerDetector,
};

function expand({ id, ip, action = 'login' }: CompactIntelEvent, i: number): AuthEvent {
  const event = authEvent({ id, ts: T0 + i * 1_000, action, outcome: 'success' });
  if (ip === undefined) delete event.client;
  else event.client = { ip };
  return event;
}

function observed(signals: readonly RiskSignal[]): ObservedSignal[] {
  return signals.map(({ type, entity, confidence, severity, evidence }) => ({
    type,
    entity,
    confidence,
    severity,
    feed: evidence['feed'],
    indicator: evidence['indicator'],
    labels: evidence['labels'],
  }));
}

/** Runs a stateless detector the way the batch engine does: plan, then detect with the (no) results. */
function run(detectorId: string, settings: unknown, events: readonly AuthEvent[]): RiskSignal[] {
  const detector = DETECTORS[detectorId] as StatelessDetector<unknown>;
  const bound = bindDetector(detector, detector.compile(settings));
  return events.flatMap((event) => {
    assert.deepEqual(bound.plan(event), [], 'a stateless detector plans no state');
    return bound.detect(event, []);
  });
}

describe('intel detector cases', () => {
  for (const testCase of INTEL_DETECTOR_CASES) {
    it(`${testCase.detector}: ${testCase.name}`, () => {
      assert.deepEqual(observed(run(testCase.detector, testCase.settings, testCase.events.map(expand))), testCase.expect);
    });
  }

  it('names every case differently', () => {
    const names = INTEL_DETECTOR_CASES.map((c) => c.name);
    assert.deepEqual(names, [...new Set(names)]);
  });
});

describe('intel.blocklisted-address signal', () => {
  it('points at the event, in event time, with evidence of the match and an id a redelivery repeats', () => {
    const event = expand({ id: 'evt-9', ip: '198.51.100.7', action: 'request' }, 9);
    const first = run('intel.blocklisted-address', { feeds: [IPSUM_SAMPLE] }, [event]);
    assert.deepEqual(first, [
      {
        v: 1,
        id: 'intel.blocklisted-address|ip:198.51.100.7|evt-9',
        type: 'blocklisted_address',
        detector: 'intel.blocklisted-address',
        entity: 'ip:198.51.100.7',
        severity: 0.7,
        confidence: 0.375,
        at: T0 + 9_000,
        evidence: { feed: 'ipsum', indicator: '198.51.100.7', confidence: 0.375, labels: '' },
        eventIds: ['evt-9'],
      },
    ]);
    assert.deepEqual(run('intel.blocklisted-address', { feeds: [IPSUM_SAMPLE] }, [event]), first);
  });
});

describe('intel detector settings', () => {
  it('declare themselves stateless, with ids and signal types of their own', () => {
    for (const detector of [blocklistedAddressDetector, anonymizerDetector]) {
      assert.equal(detector.stateless, true);
      assert.match(detector.id, /^intel\.[a-z-]+$/);
    }
    assert.deepEqual(
      [blocklistedAddressDetector.signalType, anonymizerDetector.signalType],
      ['blocklisted_address', 'anonymizer_login'],
    );
  });

  it('compile no settings to no feeds', () => {
    for (const detector of [blocklistedAddressDetector, anonymizerDetector]) {
      const params = detector.compile(undefined);
      assert.deepEqual(params.feeds, []);
      assert.equal(params.intel.size, 0);
    }
  });

  it('compile feeds to intel, naming them in order', () => {
    const params = blocklistedAddressDetector.compile({ feeds: [IPSUM_SAMPLE] });
    assert.deepEqual(params.feeds, ['ipsum']);
    assert.equal(params.intel.size, 2);
  });

  for (const { rule, detector, settings, field, message } of INVALID_INTEL_SETTINGS) {
    it(`${detector} refuses settings that break "${rule}", naming ${field}`, () => {
      assert.throws(
        () => (DETECTORS[detector] as StatelessDetector<unknown>).compile(settings),
        (err: unknown) => {
          assert.ok(err instanceof InvalidDetectorConfig, `threw ${String(err)}`);
          assert.equal(err.code, 'DETECTION.INVALID_CONFIG');
          assert.ok(err.message.startsWith(`${detector}.${field}: `), err.message);
          if (message) assert.match(err.message, message);
          return true;
        },
      );
    });
  }
});
