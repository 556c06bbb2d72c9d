import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileAuthEventAdmission, type AuthEvent, type AuthEventInput } from '@ratchet/contracts';
import { compileDetectors, detectBatch, DETECTORS, parsePlainList, type CompiledDetector, type DetectorSettings } from '@ratchet/detection';
import { ManualClock } from '@ratchet/kernel';
import { MemoryStateStore } from '@ratchet/platform';
import { DEFAULT_RISK_MODEL, latestPerDetectorAndEntity, scoreSignals } from '@ratchet/risk';
import type { BenchPart } from './lib/context';
import { collectGarbage } from '@ratchet/testing';
import { atLeast, formatNumber, mib, progress, type PartReport } from './lib/report';
import { seededRandom, TrafficGenerator } from './lib/traffic';

const EVENTS = 300_000;
const WARM_UP = 30_000;
const BATCH = 500;
/** Events built at a time, outside the timed part. */
const CHUNK = 2_000;
/** Event time advances this much per event: 2,000 events per second of event time. */
const EVENT_SPACING_MS = 0.5;
const ENTITY_EVENTS = 100_000;
const TARGET_EVENTS_PER_S = 100_000;

export const detectionBench: BenchPart = {
  name: 'detection',
  summary: `every detector in the catalogue, with ipsum + Tor feeds, and the risk model over memory state: ${formatNumber(EVENTS)} events on one core`,
  run: (context) => measureDetection(context.root),
};

/**
 * The scorer's work without the transport, as `ScoringService.processBatch` does it: batches of
 * admitted events through every detector, the latest signal per detector and entity scored by the
 * risk model with propagation from the batch's events, on one core (this process runs nothing
 * else). The events are the skeleton's traffic mix (IdP sign-ins, ingress requests, mesh calls,
 * attacks) plus Kubernetes API calls, each address given a country, city and AS the way the
 * collector's enrichment would, so that the geography and history detectors do their full work.
 */
async function measureDetection(root: string): Promise<PartReport> {
  const detectors = compileDetectors(intelSettings(root));
  progress(`detection: ${detectors.length} of ${DETECTORS.length} detectors enabled; ${formatNumber(EVENTS + WARM_UP)} events built ${formatNumber(CHUNK)} at a time`);
  // Measured first, on a heap that holds nothing else: what the state retains, not what earlier parts left.
  const memory = await memoryPerEntities(detectors);
  const traffic = new AdmittedTraffic(1);
  const mixed = new DetectionRun(detectors);
  await mixed.run((count) => traffic.next(count), WARM_UP);
  const { ms, cpuMs, signals } = await mixed.run((count) => traffic.next(count), EVENTS);
  await mixed.close();
  const perSecond = (EVENTS / ms) * 1_000;
  const byClass: PartReport['figures'] = [];
  for (const eventClass of EVENT_CLASSES) {
    const source = new ClassTraffic(eventClass.holds);
    const run = new DetectionRun(detectors);
    await run.run((count) => source.next(count), CLASS_WARM_UP);
    const measured = await run.run((count) => source.next(count), CLASS_EVENTS);
    await run.close();
    byClass.push({ name: `${eventClass.name} alone`, value: (CLASS_EVENTS / measured.ms) * 1_000, unit: 'ev/s', note: `${formatNumber((CLASS_EVENTS / measured.cpuMs) * 1_000)} per CPU second; ${Math.round(source.share * 100)} % of the mix` });
  }

  return {
    part: 'detection',
    figures: [
      { name: 'detectors + risk over memory state', value: perSecond, unit: 'ev/s', target: atLeast(TARGET_EVENTS_PER_S), note: `${formatNumber(signals)} signals scored (latest per detector and entity in a batch); ${formatNumber((EVENTS / cpuMs) * 1_000)} per CPU second (this process's threads, GC included)` },
      ...byClass,
      { name: 'state memory per 100,000 active entities', value: memory.perHundredThousand, unit: 'MiB', digits: 1, note: `${formatNumber(memory.entities)} entities, ${formatNumber(memory.keys)} keys` },
    ],
    notes: [
      `detectors: ${detectors.map((d) => d.id).join(', ')}`,
      `batches of ${BATCH}; event time advances ${EVENT_SPACING_MS} ms per event; state is the embedded shape's MemoryStateStore`,
      `by class: ${formatNumber(CLASS_EVENTS)} events of one class from the same traffic (after ${formatNumber(CLASS_WARM_UP)} to warm up) over fresh state, for sizing a scorer by what it is fed`,
      `events are built ${formatNumber(CHUNK)} at a time outside the timed part, as a scorer holds only the batches in flight`,
      `memory: heap retained by the state after ${formatNumber(ENTITY_EVENTS)} events touching that many distinct addresses and users, per 100,000 of them`,
    ],
  };
}

/** Detection and scoring over one state, timed a chunk at a time; events are built outside the timed part. */
class DetectionRun {
  private readonly clock = new ManualClock(0);
  private readonly state = new MemoryStateStore(this.clock);

  constructor(private readonly detectors: readonly CompiledDetector[]) {}

  /** Runs `count` events from `next`; answers the wall and CPU ms spent detecting and scoring, and the signals scored. */
  async run(next: (count: number) => AuthEvent[], count: number): Promise<{ ms: number; cpuMs: number; signals: number }> {
    let ms = 0;
    let cpuMs = 0;
    let signals = 0;
    for (let done = 0; done < count; done += CHUNK) {
      const events = next(Math.min(CHUNK, count - done));
      const started = performance.now();
      const cpuStarted = process.cpuUsage();
      for (let i = 0; i < events.length; i += BATCH) {
        const batch = events.slice(i, i + BATCH);
        this.clock.set((batch.at(-1) as AuthEvent).ts);
        const fired = latestPerDetectorAndEntity(await detectBatch(batch, this.detectors, this.state));
        signals += fired.length;
        await scoreSignals(fired, this.state, DEFAULT_RISK_MODEL, batch);
      }
      ms += performance.now() - started;
      const cpu = process.cpuUsage(cpuStarted);
      cpuMs += (cpu.user + cpu.system) / 1_000;
    }
    return { ms, cpuMs, signals };
  }

  /** Keys the state holds. */
  get keys(): number {
    return this.state.size;
  }

  /** Lets the state go, so that what a later part measures of the heap is its own. */
  async close(): Promise<void> {
    await this.state.close();
  }
}

const CLASS_EVENTS = 60_000;
const CLASS_WARM_UP = 10_000;

/** The mix's classes, each measured alone: what a scorer fed mostly one kind of log would do. */
const EVENT_CLASSES: ReadonlyArray<{ name: string; holds: (event: AuthEvent) => boolean }> = [
  { name: 'logins and second factors', holds: (e) => e.action === 'login' || e.action === 'mfa' },
  { name: 'ingress requests', holds: (e) => e.plane === 'north-south' && e.action === 'request' },
  { name: 'mesh calls', holds: (e) => e.plane === 'east-west' },
  { name: 'Kubernetes API calls', holds: (e) => e.plane === 'control' },
];

/** The bench traffic with only the events one class holds. */
class ClassTraffic {
  private readonly traffic = new AdmittedTraffic(2);
  private held: AuthEvent[] = [];
  private drawn = 0;
  private kept = 0;

  constructor(private readonly holds: (event: AuthEvent) => boolean) {}

  /** The class's share of the traffic drawn so far. */
  get share(): number {
    return this.drawn === 0 ? 0 : this.kept / this.drawn;
  }

  next(count: number): AuthEvent[] {
    while (this.held.length < count) {
      for (const event of this.traffic.next(CHUNK)) {
        this.drawn++;
        if (!this.holds(event)) continue;
        this.kept++;
        this.held.push(event);
      }
    }
    const out = this.held.slice(0, count);
    this.held = this.held.slice(count);
    return out;
  }
}

/** ipsum as the blocklist and the Tor exit list as anonymizers, as an operator would configure them. */
function intelSettings(root: string): DetectorSettings {
  const datasets = join(root, '..', 'shared', 'datasets', 'threat-intel');
  try {
    const ipsum = parsePlainList(readFileSync(join(datasets, 'ipsum.txt'), 'utf8'), { name: 'ipsum' }).feed;
    const tor = parsePlainList(readFileSync(join(datasets, 'tor-exit-2024-08.txt'), 'utf8'), { name: 'tor-exits', labels: ['tor'] }).feed;
    return { 'intel.blocklisted-address': { feeds: [ipsum] }, 'intel.anonymizer': { feeds: [tor] } };
  } catch (err) {
    progress(`detection: no threat-intel feeds (${err instanceof Error ? err.message : String(err)}); intel detectors run empty`);
    return {};
  }
}

const COUNTRIES = [
  { country: 'DE', city: 'Berlin', lat: 52.52, lon: 13.4 },
  { country: 'FR', city: 'Paris', lat: 48.86, lon: 2.35 },
  { country: 'US', city: 'Ashburn', lat: 39.04, lon: -77.49 },
  { country: 'GB', city: 'London', lat: 51.51, lon: -0.13 },
  { country: 'NL', city: 'Amsterdam', lat: 52.37, lon: 4.9 },
  { country: 'JP', city: 'Tokyo', lat: 35.68, lon: 139.69 },
] as const;

/** The skeleton's traffic, enriched, with one Kubernetes API call in twenty, admitted as the collector would, a chunk at a time. */
export class AdmittedTraffic {
  private readonly traffic: TrafficGenerator;
  private readonly random: () => number;
  private readonly admit = compileAuthEventAdmission();
  private readonly t0 = Date.parse('2026-11-24T08:00:00Z');
  private n = 0;

  constructor(
    private readonly seed: number,
    options: { users?: number; addresses?: number; poolSize?: number } = {},
  ) {
    this.traffic = new TrafficGenerator({ seed, poolSize: 100_000, ...options });
    this.random = seededRandom(seed + 1);
  }

  next(count: number): AuthEvent[] {
    const out: AuthEvent[] = [];
    for (const input of this.traffic.events(count)) {
      const at = this.t0 + this.n * EVENT_SPACING_MS;
      const event = this.random() < 0.05 ? kubernetesCall(this.random, at) : enrich({ ...input, time: new Date(at).toISOString() });
      const id = `bench-${this.seed}-${this.n}`;
      const admitted = this.admit(event, { observedAt: at, newId: () => id });
      if (!admitted.ok) throw new Error(`bench traffic is not admissible: ${admitted.errors.join('; ')}`);
      out.push(admitted.event);
      this.n++;
    }
    return out;
  }
}

/** `count` admitted events at once (the memory measurement needs them all). */
export function admittedEvents(count: number, seed: number, options: { users?: number; addresses?: number } = {}): AuthEvent[] {
  return new AdmittedTraffic(seed, { poolSize: Math.min(count, 100_000), ...options }).next(count);
}

/** Country and AS by address, stable per /16, as a GeoLite2 lookup would answer. */
function enrich(event: AuthEventInput): AuthEventInput {
  const ip = event.client?.ip;
  if (!ip || event.plane !== 'north-south') return event;
  const [a = 0, b = 0] = ip.split('.').map(Number);
  const place = COUNTRIES[(a * 7 + b) % COUNTRIES.length] as (typeof COUNTRIES)[number];
  return { ...event, client: { ...event.client, scope: 'public', geo: { ...place }, asn: { number: 64_500 + ((a * 31 + b) % 400), org: `AS ${b}` } } };
}

const VERBS = ['get', 'list', 'watch', 'create', 'patch'];
const RESOURCES = ['pods', 'secrets', 'configmaps', 'deployments', 'pods/exec', 'rolebindings'];

function kubernetesCall(random: () => number, at: number): AuthEventInput {
  const sa = `system:serviceaccount:shop:sa-${Math.floor(random() * 200)}`;
  const denied = random() < 0.03;
  const verb = VERBS[Math.floor(random() * VERBS.length)] as string;
  const resource = RESOURCES[Math.floor(random() * RESOURCES.length)] as string;
  return {
    time: new Date(at).toISOString(),
    source: { kind: 'k8s-audit' },
    plane: 'control',
    action: 'api',
    outcome: denied ? 'failure' : 'success',
    reason: denied ? `forbidden: ${verb} ${resource}` : `${verb} ${resource}`,
    principal: { type: 'service', id: sa },
    client: { ip: `10.42.${Math.floor(random() * 8)}.${Math.floor(random() * 250)}`, scope: 'private', userAgent: 'kubectl/v1.31.0' },
    target: { method: verb, service: resource, namespace: 'shop', path: `/api/v1/namespaces/shop/${resource}`, name: `obj-${Math.floor(random() * 50)}` },
  };
}

/**
 * Heap retained by the state after events that each bring a new address and a new user: how much
 * memory the embedded shape (and, roughly, Redis) needs per active entity.
 */
async function memoryPerEntities(detectors: readonly CompiledDetector[]): Promise<{ perHundredThousand: number; entities: number; keys: number }> {
  const events = admittedEvents(ENTITY_EVENTS, 7, { users: ENTITY_EVENTS, addresses: ENTITY_EVENTS });
  const entities = new Set<string>();
  for (const e of events) {
    if (e.client?.ip) entities.add(`ip:${e.client.ip}`);
    if (e.principal?.id) entities.add(`${e.principal.type}:${e.principal.id}`);
  }
  collectGarbage();
  const before = process.memoryUsage().heapUsed;
  const run = new DetectionRun(detectors);
  let next = 0;
  await run.run((count) => events.slice(next, (next += count)), events.length);
  collectGarbage();
  const retained = process.memoryUsage().heapUsed - before;
  const keys = run.keys;
  await run.close();
  return { perHundredThousand: mib((retained / entities.size) * 100_000), entities: entities.size, keys };
}
