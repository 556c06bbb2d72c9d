/** Each stage owns its output topic and reads only the one before it. */
export const TOPICS = {
  authEvents: 'auth.events',
  authEventsDlq: 'auth.events.dlq',
  riskSignals: 'risk.signals',
  riskScores: 'risk.scores',
  enforcementActions: 'enforcement.actions',
  rules: 'ratchet.rules',
} as const;
export type TopicId = (typeof TOPICS)[keyof typeof TOPICS];

/** Headers Ratchet sets on messages; lower-case, prefixed, stable. */
export const HEADERS = {
  reason: 'ratchet-reason',
  errors: 'ratchet-errors',
  source: 'ratchet-source',
  schema: 'ratchet-schema',
  /** W3C trace context, so a trace follows an event from collector to enforcer. */
  traceparent: 'traceparent',
  tracestate: 'tracestate',
} as const;
