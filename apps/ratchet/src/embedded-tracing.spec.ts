import 'reflect-metadata';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { TOPICS, type AuthEventInput, type ConsumedMessage, type EnforcementAction, type Subscription } from '@ratchet/contracts';
import { ManualClock } from '@ratchet/kernel';
import { MemoryEventLog, startTelemetry } from '@ratchet/platform';
import { authEventInput, onlyDetectors } from '@ratchet/testing';
import { startEmbedded } from './embedded-app';

// The global tracer provider is registered once per process: this file owns it.
const exporter = new InMemorySpanExporter();
const processor = new SimpleSpanProcessor(exporter);
const telemetry = startTelemetry({ serviceName: 'test', exporter: 'none', sampleRatio: 1, spanProcessors: [processor] });

const NOW = Date.parse('2026-11-24T10:10:00.000Z');
const ATTACK_START = Date.parse('2026-11-24T10:00:00.000Z');

/** Consumes `enforcement.actions` and hands each test the message about its own address. */
class ActionTap {
  private readonly seen: ConsumedMessage[] = [];
  private readonly waiters: Array<{ entity: string; resolve: (m: ConsumedMessage) => void }> = [];
  private subscription: Subscription | undefined;

  async open(eventLog: MemoryEventLog): Promise<void> {
    this.subscription = await eventLog.consume({
      group: 'spec-enforcement-actions',
      topics: [TOPICS.enforcementActions],
      handle: async (batch) => {
        for (const message of batch.messages) {
          this.seen.push(message);
          const entity = (JSON.parse(message.value) as EnforcementAction).entity;
          for (const w of this.waiters.filter((x) => x.entity === entity)) w.resolve(message);
        }
      },
    });
  }

  about(ip: string): Promise<ConsumedMessage> {
    const entity = `ip:${ip}`;
    const seen = this.seen.find((m) => (JSON.parse(m.value) as EnforcementAction).entity === entity);
    return seen ? Promise.resolve(seen) : new Promise((resolve) => this.waiters.push({ entity, resolve }));
  }

  async close(): Promise<void> {
    await this.subscription?.close();
  }
}

function failures(ip: string, count: number): AuthEventInput[] {
  return Array.from({ length: count }, (_, i) =>
    authEventInput({ id: `${ip}-${i}`, time: new Date(ATTACK_START + i * 1_000).toISOString(), client: { ip } }),
  );
}

function traceparentOf(traceId: string, spanId: string, flags: '00' | '01'): string {
  return `00-${traceId}-${spanId}-${flags}`;
}

function parseTraceparent(header: string | undefined): { traceId: string; spanId: string; flags: string } {
  const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(header ?? '');
  assert.ok(match, `not a W3C traceparent: ${String(header)}`);
  return { traceId: match[1] as string, spanId: match[2] as string, flags: match[3] as string };
}

async function spansOf(traceId: string): Promise<ReadableSpan[]> {
  await processor.forceFlush();
  return exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
}

function only(spans: readonly ReadableSpan[], name: string): ReadableSpan {
  const named = spans.filter((s) => s.name === name);
  assert.equal(named.length, 1, `expected one ${name} span, got ${named.length} (recorded: ${spans.map((s) => s.name).join(', ')})`);
  return named[0] as ReadableSpan;
}

describe('the embedded Ratchet traces an event from the collector to the enforcer', { timeout: 60_000 }, () => {
  let app: NestFastifyApplication;
  let url: string;
  const actions = new ActionTap();

  before(async () => {
    const eventLog = new MemoryEventLog();
    app = await startEmbedded(
      {
        host: '127.0.0.1',
        port: 0,
        bodyLimit: 64 * 1024,
        trustedProxies: ['127.0.0.1/32', '::1/128'],
        allowlist: [],
        logFormat: 'json',
        logLevels: ['fatal', 'error', 'warn'],
        telemetry: { exporter: 'none', sampleRatio: 1 },
        // The scorer opens a span per signal it publishes: one detector, one signal, one span.
        detectors: { settings: onlyDetectors('auth.brute-force'), feeds: [] },
      },
      { clock: new ManualClock(NOW), eventLog },
    );
    url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    await actions.open(eventLog);
  });

  after(async () => {
    await actions.close();
    await app.close();
    await telemetry.shutdown();
  });

  async function postAttack(ip: string, headers: Record<string, string>): Promise<void> {
    const response = await fetch(`${url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(failures(ip, 20)),
    });
    assert.equal(response.status, 202, await response.clone().text());
  }

  it('records collector.ingest, scorer.detect and enforcer.decide in the trace of a sampled caller, each the child of the one before', async () => {
    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    await postAttack('203.0.113.80', { traceparent: traceparentOf(traceId, callerSpanId, '01') });
    const action = await actions.about('203.0.113.80');

    const spans = await spansOf(traceId);
    const ingest = only(spans, 'collector.ingest');
    const detect = only(spans, 'scorer.detect');
    const decide = only(spans, 'enforcer.decide');
    assert.equal(ingest.parentSpanContext?.spanId, callerSpanId);
    assert.equal(detect.parentSpanContext?.spanId, ingest.spanContext().spanId);
    assert.equal(decide.parentSpanContext?.spanId, detect.spanContext().spanId);
    assert.equal(ingest.attributes['ratchet.events'], 20);

    const carried = parseTraceparent(action.headers['traceparent']);
    assert.equal(carried.traceId, traceId);
    assert.equal(carried.spanId, decide.spanContext().spanId);
    assert.equal(carried.flags, '01');
  });

  it('starts a recorded trace for a caller that sends no trace context', async () => {
    await postAttack('203.0.113.81', {});
    const action = await actions.about('203.0.113.81');
    const carried = parseTraceparent(action.headers['traceparent']);

    const spans = await spansOf(carried.traceId);
    const ingest = only(spans, 'collector.ingest');
    assert.equal(ingest.parentSpanContext, undefined);
    only(spans, 'scorer.detect');
    assert.equal(only(spans, 'enforcer.decide').spanContext().spanId, carried.spanId);
  });

  it('follows an unsampled caller without recording spans, still carrying its trace id to enforcement.actions', async () => {
    const traceId = randomBytes(16).toString('hex');
    await postAttack('203.0.113.82', { traceparent: traceparentOf(traceId, randomBytes(8).toString('hex'), '00') });
    const action = await actions.about('203.0.113.82');

    const carried = parseTraceparent(action.headers['traceparent']);
    assert.equal(carried.traceId, traceId);
    assert.equal(carried.flags, '00');
    assert.deepEqual(await spansOf(traceId), []);
  });
});
