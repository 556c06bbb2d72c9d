import { context, propagation, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { NodeSDK, tracing } from '@opentelemetry/sdk-node';

export interface TelemetryOptions {
  serviceName: string;
  /**
   * `none` (default): spans are sampled and their context travels in message headers, nothing is
   * exported. `otlp` / `console`: the standard OTEL_* variables configure the exporter.
   */
  exporter: 'none' | 'otlp' | 'console';
  /** Share of new traces recorded (parent-based: a sampled caller is always followed). Default 0.01. */
  sampleRatio: number;
  /** Extra processors, e.g. an in-memory exporter in tests. */
  spanProcessors?: tracing.SpanProcessor[];
}

/**
 * Starts OpenTelemetry for this process. Tracing on the hot path is per request or per batch and
 * sampled, never a span per event; the W3C trace context of each event travels in its Kafka
 * headers from collector to enforcer.
 */
export function startTelemetry(options: TelemetryOptions): { shutdown(): Promise<void> } {
  const processors: tracing.SpanProcessor[] = [...(options.spanProcessors ?? [])];
  if (options.exporter === 'console') processors.push(new tracing.SimpleSpanProcessor(new tracing.ConsoleSpanExporter()));
  const useEnvExporter = options.exporter === 'otlp';
  if (!useEnvExporter && processors.length === 0) processors.push(new tracing.NoopSpanProcessor());
  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    sampler: new tracing.ParentBasedSampler({ root: new tracing.TraceIdRatioBasedSampler(options.sampleRatio) }),
    ...(useEnvExporter ? {} : { spanProcessors: processors }),
    instrumentations: [],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}

export function tracer(): Tracer {
  return trace.getTracer('ratchet');
}

/** Writes the context's trace into message headers (`traceparent`, `tracestate`). */
export function injectTraceHeaders(ctx: Context, headers: Record<string, string>): Record<string, string> {
  propagation.inject(ctx, headers);
  return headers;
}

/** The trace context a message carries, or the active one when it carries none. */
export function extractTraceHeaders(headers: Readonly<Record<string, string>>): Context {
  return propagation.extract(context.active(), headers);
}

/** Whether a `traceparent` header asks for recording: only those get per-event child spans. */
export function isSampled(headers: Readonly<Record<string, string>>): boolean {
  const traceparent = headers['traceparent'];
  return traceparent !== undefined && traceparent.endsWith('-01');
}

/** Runs `work` in a span that ends when it settles, recording a failure on the span. */
export async function inSpan<T>(name: string, parent: Context, work: (span: Span, ctx: Context) => Promise<T>): Promise<T> {
  const span = tracer().startSpan(name, undefined, parent);
  const ctx = trace.setSpan(parent, span);
  try {
    return await work(span, ctx);
  } catch (err) {
    span.recordException(err as Error);
    span.setStatus({ code: 2 });
    throw err;
  } finally {
    span.end();
  }
}

/**
 * Trace headers for what a message caused. A sampled trace gets a span named `name` as the new
 * parent; an unsampled one passes its context through untouched (no span, no cost).
 */
export function continueTrace(name: string, headers: Readonly<Record<string, string>>): Record<string, string> {
  if (!isSampled(headers)) return headers['traceparent'] ? { traceparent: headers['traceparent'] } : {};
  const span = tracer().startSpan(name, undefined, extractTraceHeaders(headers));
  const out = injectTraceHeaders(trace.setSpan(context.active(), span), {});
  span.end();
  return out;
}
