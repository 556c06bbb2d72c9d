import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuthEvent, RiskSignal } from '@ratchet/contracts';
import { ManualClock, parseDuration } from '@ratchet/kernel';
import { authEvent, MemoryStateStore } from '@ratchet/testing';
import { replayCase } from './fixtures/replay-case';
import { compileDetectors, DETECTORS } from './catalogue';
import { InvalidDetectorConfig } from './detector-config';
import { httpStatusOf, isStaticPath } from './event-reading';
import type { CaseEvent, EventCase } from './fixtures/event-case';
import { HTTP_DETECTOR_CASES, INVALID_HTTP_SETTINGS } from './http/fixtures/http-detector-cases';
import { normalisePath } from './http/sensitive-paths.detector';
import { INVALID_K8S_SETTINGS, K8S_DETECTOR_CASES } from './k8s/fixtures/k8s-detector-cases';
import { INVALID_MESH_SETTINGS, MESH_DETECTOR_CASES } from './mesh/fixtures/mesh-detector-cases';
import { INVALID_SSH_SETTINGS, SSH_DETECTOR_CASES } from './ssh/fixtures/ssh-detector-cases';

const T0 = Date.parse('2026-11-24T10:00:00.000Z');

function expand({ at, ...fields }: CaseEvent): AuthEvent {
  return authEvent({ ...fields, ts: T0 + parseDuration(at) });
}

/** What a case compares: type, entity, severity and evidence. */
function observed(signals: readonly RiskSignal[]) {
  return signals.map(({ type, entity, severity, evidence }) => ({ type, entity, severity, ...evidence }));
}

/** Runs only the case's detectors, through the catalogue and the batch engine, in batches of `batchSize`. */
async function run(testCase: EventCase, batchSize = Number.POSITIVE_INFINITY): Promise<RiskSignal[]> {
  const settings = Object.fromEntries(DETECTORS.map((d) => [d.id, d.id in testCase.detectors ? testCase.detectors[d.id] : false]));
  return replayCase(testCase.events.map(expand), compileDetectors(settings), () => new MemoryStateStore(new ManualClock(T0)), { batchSize, ...(testCase.deliveries ? { deliveries: testCase.deliveries } : {}) });
}

const PLANES = [
  ['ingress', HTTP_DETECTOR_CASES, INVALID_HTTP_SETTINGS],
  ['ssh', SSH_DETECTOR_CASES, INVALID_SSH_SETTINGS],
  ['mesh', MESH_DETECTOR_CASES, INVALID_MESH_SETTINGS],
  ['control-plane', K8S_DETECTOR_CASES, INVALID_K8S_SETTINGS],
] as const;

for (const [plane, cases, invalid] of PLANES) {
  describe(`${plane} detector cases`, () => {
    for (const testCase of cases) {
      it(testCase.name, async () => {
        assert.deepEqual(observed(await run(testCase)), testCase.expect);
      });
    }

    it('gives the same signals for every case when each event is a batch of its own', async () => {
      for (const testCase of cases) assert.deepEqual(observed(await run(testCase, 1)), testCase.expect, testCase.name);
    });

    it('exercises only detectors the catalogue ships, and names every case differently', () => {
      const ids = new Set(DETECTORS.map((d) => d.id));
      for (const testCase of cases) for (const id of Object.keys(testCase.detectors)) assert.ok(ids.has(id), `${testCase.name}: ${id}`);
      const names = cases.map((c) => c.name);
      assert.deepEqual(names, [...new Set(names)]);
    });

    for (const { rule, detector, settings, field } of invalid) {
      it(`refuses settings that break "${rule}", naming ${detector}.${field}`, () => {
        assert.throws(
          () => compileDetectors({ [detector]: settings }),
          (err: unknown) => {
            assert.ok(err instanceof InvalidDetectorConfig, `threw ${String(err)}`);
            assert.ok(err.message.startsWith(`${detector}.${field}: `), err.message);
            return true;
          },
        );
      });
    }
  });
}

describe('reading events', () => {
  it('reads an HTTP status from target.status or an access-log reason, and nothing from other reasons', () => {
    assert.equal(httpStatusOf(authEvent({ reason: 'http 404' })), 404);
    assert.equal(httpStatusOf(authEvent({ reason: 'http 429 RL' })), 429);
    assert.equal(httpStatusOf(authEvent({ reason: 'http 4044' })), undefined);
    assert.equal(httpStatusOf(authEvent({ reason: 'http 099' })), undefined);
    assert.equal(httpStatusOf(authEvent({ reason: 'rate limited' })), undefined);
    assert.equal(httpStatusOf(authEvent({ reason: 'http 200', target: { status: 503 } })), 503);
  });

  it('tells static assets by the extension of the last segment only', () => {
    assert.equal(isStaticPath('/assets/app.JS'), true);
    assert.equal(isStaticPath('/v1.2/orders'), false);
    assert.equal(isStaticPath('/download'), false);
  });

  it('normalises a path without throwing on malformed escapes', () => {
    assert.equal(normalisePath('/%E0%A4%A'), '/%e0%a4%a');
    assert.equal(normalisePath('/%25252e%25252e%25252f'), '/../');
    assert.equal(normalisePath('/%2525252e'), '/%2e', 'three rounds at most');
    assert.equal(normalisePath('/A\\B'), '/a/b');
  });
});

describe('the signals of event detectors', () => {
  it('carry an id a redelivery repeats, the event time and the event that fired them', async () => {
    const [signal] = await run({
      name: 'one exec',
      detectors: { 'k8s.exec': {} },
      events: [{ at: '42s', id: 'k8s-audit:5b3c:ResponseComplete', plane: 'control', action: 'api', outcome: 'success', principal: { type: 'user', id: 'alice@example.com' }, target: { service: 'pods/exec', method: 'create', namespace: 'shop', name: 'cart-0' } }],
      expect: [],
    });
    assert.deepEqual(signal && { id: signal.id, at: signal.at, eventIds: signal.eventIds, detector: signal.detector, confidence: signal.confidence }, {
      id: 'k8s.exec|user:alice@example.com|k8s-audit:5b3c:ResponseComplete',
      at: T0 + 42_000,
      eventIds: ['k8s-audit:5b3c:ResponseComplete'],
      detector: 'k8s.exec',
      confidence: 1,
    });
  });
});
