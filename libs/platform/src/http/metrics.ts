import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The process's Prometheus metrics. One registry per process; every service exposes it at
 * GET /metrics. Names follow `ratchet_<part>_<what>_<unit>`.
 */
export class RatchetMetrics {
  readonly registry = new Registry();
  readonly eventsAccepted = new Counter({ name: 'ratchet_collector_events_accepted_total', help: 'Events accepted and published to auth.events', registers: [this.registry] });
  readonly eventsRejected = new Counter({ name: 'ratchet_collector_events_rejected_total', help: 'Events refused and sent to the dead-letter topic, by reason', labelNames: ['reason'], registers: [this.registry] });
  readonly records = new Counter({
    name: 'ratchet_collector_records_total',
    help: 'Records read, by source and outcome: accepted, ignored, or the dead-letter reason',
    labelNames: ['source', 'outcome'],
    registers: [this.registry],
  });
  readonly recordsIgnored = new Counter({ name: 'ratchet_collector_records_ignored_total', help: 'Well-formed records that are not about authentication or access, by source and kind', labelNames: ['source', 'what'], registers: [this.registry] });
  readonly eventsScored = new Counter({ name: 'ratchet_scorer_events_total', help: 'Events run through the detectors', registers: [this.registry] });
  readonly signals = new Counter({ name: 'ratchet_scorer_signals_total', help: 'Risk signals emitted, by type', labelNames: ['type'], registers: [this.registry] });
  readonly batchSeconds = new Histogram({
    name: 'ratchet_batch_duration_seconds',
    help: 'Time to process one consumed batch, by stage',
    labelNames: ['stage'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly actions = new Counter({ name: 'ratchet_enforcer_actions_total', help: 'Enforcement actions decided, by action and mode', labelNames: ['action', 'mode'], registers: [this.registry] });
  readonly activeDecisions = new Gauge({ name: 'ratchet_enforcer_active_decisions', help: 'Decisions in force in this replica', registers: [this.registry] });
  readonly unreadableDecisions = new Gauge({
    name: 'ratchet_enforcer_unreadable_decisions',
    help: 'Records in the decision store that are not decisions, left out of enforcement, as of the last read (their ids are logged)',
    registers: [this.registry],
  });
  readonly authz = new Counter({ name: 'ratchet_enforcer_authz_total', help: 'Per-request checks answered, by decision', labelNames: ['decision'], registers: [this.registry] });
  readonly extAuthzRefused = new Counter({
    name: 'ratchet_enforcer_ext_authz_refused_total',
    help: 'ext_authz gRPC calls refused before a verdict (malformed, oversized, unfinished, unserved, failed), by gRPC status name',
    labelNames: ['status'],
    registers: [this.registry],
  });
  readonly fastPathCallerRefused = new Counter({
    name: 'ratchet_enforcer_unauthenticated_callers_total',
    help: 'Per-request checks refused because the caller did not send RATCHET_FAST_PATH_TOKEN, by API (authz, ext_authz_http, ext_authz_grpc)',
    labelNames: ['api'],
    registers: [this.registry],
  });
  readonly checkSeconds = new Histogram({
    name: 'ratchet_enforcer_check_seconds',
    help: 'Time to answer one per-request check in the handler, by API (authz, ext_authz_http, ext_authz_grpc)',
    labelNames: ['api'],
    buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
