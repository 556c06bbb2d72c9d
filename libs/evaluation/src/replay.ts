import { compileAuthEventAdmission, type AuthEvent, type RiskSignal } from '@ratchet/contracts';
import { compileDetectors, detectBatch, DETECTORS, type CompiledDetector, type DetectorSettings, type StateStore } from '@ratchet/detection';
import type { Enricher } from '@ratchet/enrichment';
import { canonicalAddress, ManualClock, type Clock } from '@ratchet/kernel';
import { RepeatedIds, SOURCES, StreamMemory, type SourceParser } from '@ratchet/sources';
import type { IndicatorEvidence } from './mappings';

/**
 * What a replay runs on: the real catalogues (sources, detectors) and a state store the caller
 * provides — `ratchet eval` passes the embedded shape's `MemoryStateStore`, so the answers are the
 * ones the embedded pipeline would give.
 */
export interface ReplayEnvironment {
  readonly sources: readonly SourceParser[];
  readonly detectors: readonly CompiledDetector[];
  /** Signal types some detector in the catalogue emits: an indicator whose types are all missing is unsupported. */
  readonly signalTypes: ReadonlySet<string>;
  /** A fresh, empty store whose key expiry follows `clock` (set from the events' times). */
  createStateStore(clock: Clock): StateStore;
  /** Events per detection batch, as the scorer takes them from a partition. Default 500. */
  readonly batchSize?: number;
  /**
   * What the collector adds to an admitted event (`client.scope`, and `client.geo` / `client.asn`
   * from the configured databases). Default: none, and indicators that need a location cannot fire.
   */
  readonly enricher?: Enricher;
}

/** The shipped catalogues with default detector settings. */
export function defaultReplayEnvironment(createStateStore: (clock: Clock) => StateStore, settings: DetectorSettings = {}, enricher?: Enricher): ReplayEnvironment {
  const env = { sources: SOURCES, detectors: compileDetectors(settings), signalTypes: new Set(DETECTORS.map((d) => d.signalType)), createStateStore };
  return enricher === undefined ? env : { ...env, enricher };
}

/** What became of one record: read by a source into admitted events, ignored, refused, or no source to read it. */
export type RecordOutcome =
  | { status: 'ok'; source: string; events: AuthEvent[] }
  | { status: 'ignored'; source: string; what: string }
  | { status: 'refused'; reason: string }
  | { status: 'unsupported'; reason: string };

/**
 * Reads records as the collector does: the source parses, the compiled admission validates, the
 * environment's enricher adds what the collector's would, and
 * ids repeated by identical log lines are numbered (`id#1`, `id#2`) so a burst counts once per line
 * (`RepeatedIds`; different lines of one attempt keep their shared id). The records a reader reads
 * are one stream, as a file sent by `ratchet ingest` is: parsers that read a line with its
 * neighbours (sshd's connections) share one `StreamMemory` until `forget`.
 * `sourceIds` are tried in order; the first that does not refuse a record reads it.
 */
export class RecordReader {
  private readonly admit = compileAuthEventAdmission();
  private readonly ids = new RepeatedIds();
  private stream = new StreamMemory();
  private generated = 0;

  constructor(
    private readonly env: ReplayEnvironment,
    private readonly receivedAt: number = Date.now(),
  ) {}

  /** Forgets the ids seen so far: the next record starts a new, independent replay. */
  forget(): void {
    this.ids.clear();
    this.stream = new StreamMemory();
  }

  read(record: unknown, sourceIds: readonly string[]): RecordOutcome {
    const available = sourceIds.map((id) => this.env.sources.find((s) => s.id === id)).filter((s): s is SourceParser => s !== undefined);
    if (available.length === 0) return { status: 'unsupported', reason: `no source ${sourceIds.map((id) => `"${id}"`).join(' or ')} in the catalogue` };
    const refusals: string[] = [];
    for (const source of available) {
      const input = recordFor(source, record);
      if (!input.ok) {
        refusals.push(`${source.id}: ${input.reason}`);
        continue;
      }
      // A syslog time has no year: read it as the collector would, received now.
      const parsed = source.parse(input.value, { receivedAt: this.receivedAt, stream: this.stream });
      if (!parsed.ok) {
        refusals.push(`${source.id}: ${parsed.reason}`);
        continue;
      }
      if (parsed.events.length === 0) return { status: 'ignored', source: source.id, what: parsed.ignored ?? 'unspecified' };
      const events: AuthEvent[] = [];
      for (const raw of parsed.events) {
        const id = raw.id === undefined ? undefined : this.ids.number(raw.id, typeof record === 'string' ? record : () => JSON.stringify(record));
        const input = id === raw.id ? raw : { ...raw, id };
        const observedAt = Date.parse(raw.time);
        const admitted = this.admit(input, { observedAt: Number.isNaN(observedAt) ? 0 : observedAt, newId: () => `eval-${++this.generated}` });
        if (!admitted.ok) return { status: 'refused', reason: `${source.id}: admission: ${admitted.errors.join('; ')}` };
        events.push(this.env.enricher === undefined ? admitted.event : this.env.enricher.enrich(admitted.event));
      }
      return { status: 'ok', source: source.id, events };
    }
    const missing = sourceIds.filter((id) => !available.some((s) => s.id === id));
    const note = missing.length > 0 ? ` (not in the catalogue: ${missing.join(', ')})` : '';
    return { status: 'refused', reason: refusals.join('; ') + note };
  }
}

/** A line source gets text; a JSON source gets a parsed value (a line of JSON is parsed first). */
function recordFor(source: SourceParser, record: unknown): { ok: true; value: unknown } | { ok: false; reason: string } {
  if (source.framing === 'line') return typeof record === 'string' ? { ok: true, value: record } : { ok: false, reason: '(record): a line source reads text, not a JSON value' };
  if (typeof record !== 'string') return { ok: true, value: record };
  try {
    return { ok: true, value: JSON.parse(record) as unknown };
  } catch {
    // Not JSON as it stands: perhaps JSON inside a container runtime's line (CRI, Docker), which
    // the catalogue's parsers unwrap themselves.
    return { ok: true, value: record };
  }
}

/**
 * Runs admitted events through every detector in batches over a fresh state store, in event time:
 * the clock the store expires keys by follows the newest event seen, as the embedded scorer's would.
 */
export async function detectAll(events: readonly AuthEvent[], env: ReplayEnvironment): Promise<RiskSignal[]> {
  const clock = new ManualClock(0);
  const state = env.createStateStore(clock);
  const size = env.batchSize ?? 500;
  const signals: RiskSignal[] = [];
  try {
    for (let i = 0; i < events.length; i += size) {
      const batch = events.slice(i, i + size);
      for (const event of batch) if (event.ts > clock.now()) clock.set(event.ts);
      for (const signal of await detectBatch(batch, env.detectors, state)) signals.push(signal);
    }
  } finally {
    await state.close();
  }
  return signals;
}

/**
 * The entities a set of signals implicates, as bare values (`203.0.113.7`, `alice`): each signal's
 * entity and the client address of the events behind it — CrowdSec's "sources" of an alert are the
 * addresses in the bucket even when it groups by user.
 */
export function flaggedEntities(signals: readonly RiskSignal[], events: readonly AuthEvent[]): Set<string> {
  const byId = new Map(events.map((e) => [e.id, e]));
  const flagged = new Set<string>();
  for (const signal of signals) {
    flagged.add(normaliseEntity(signal.entity.slice(signal.entity.indexOf(':') + 1)));
    for (const id of signal.eventIds) {
      const ip = byId.get(id)?.client?.ip;
      if (ip) flagged.add(normaliseEntity(ip));
    }
  }
  return flagged;
}

/** One spelling per address, so `::ffff:1.2.3.4` and `1.2.3.4` are one entity; other names as they are. */
export function normaliseEntity(value: string): string {
  return canonicalAddress(value) ?? value;
}

/** True when the signals or the events' facts show the indicator. */
export function showsIndicator(evidence: IndicatorEvidence, signals: readonly RiskSignal[], events: readonly AuthEvent[]): boolean {
  if (signals.some((s) => evidence.signals.includes(s.type))) return true;
  const facts = evidence.facts ?? [];
  return facts.length > 0 && events.some((e) => (e.facts ?? []).some((f) => facts.includes(f)));
}

/** Why an indicator cannot fire at all today, or undefined when some detector (or a fact) can show it. */
export function missingDetector(evidence: IndicatorEvidence, env: ReplayEnvironment): string | undefined {
  if (evidence.signals.some((t) => env.signalTypes.has(t))) return undefined;
  const facts = evidence.facts ?? [];
  const factNote = facts.length > 0 ? ` (nor did a source set the fact ${facts.join(' or ')})` : '';
  return `no detector emits ${evidence.signals.join(' or ')}${factNote}`;
}
