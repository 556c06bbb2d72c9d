import type { AuthEvent, AuthEventInput } from '@ratchet/contracts';

let sequence = 0;

/** A canonical event as a producer would post it; override any field. */
export function authEventInput(overrides: Partial<AuthEventInput> = {}): AuthEventInput {
  return {
    time: '2026-11-24T10:00:00.000Z',
    source: { kind: 'canonical' },
    plane: 'north-south',
    action: 'login',
    outcome: 'failure',
    reason: 'bad password',
    principal: { type: 'user', id: 'alice@example.com' },
    client: { ip: '203.0.113.7', userAgent: 'Mozilla/5.0' },
    target: { host: 'login.example.com', path: '/login' },
    ...overrides,
  };
}

/** An accepted event as it travels on `auth.events`. */
export function authEvent(overrides: Partial<AuthEventInput> & { ts?: number } = {}): AuthEvent {
  const { ts, ...input } = overrides;
  const at = ts ?? Date.parse(input.time ?? '2026-11-24T10:00:00.000Z');
  const event = authEventInput({ time: new Date(at).toISOString(), ...input });
  return { ...event, v: 1, id: event.id ?? `evt-${++sequence}`, ts: at, observedAt: at };
}

/** `count` failed logins from `ip`, one principal each when `distinctPrincipals`, `stepMs` apart. */
export function failedLogins(
  ip: string,
  count: number,
  { start = Date.parse('2026-11-24T10:00:00.000Z'), stepMs = 1_000, distinctPrincipals = false, idPrefix = `${ip}-` } = {},
): AuthEvent[] {
  return Array.from({ length: count }, (_, i) =>
    authEvent({
      id: `${idPrefix}${i}`,
      ts: start + i * stepMs,
      client: { ip },
      principal: { type: 'user', id: distinctPrincipals ? `user${i}@example.com` : 'alice@example.com' },
    }),
  );
}
