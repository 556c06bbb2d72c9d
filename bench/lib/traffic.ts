import type { AuthEventInput } from '@ratchet/contracts';
import { seededRandom } from '@ratchet/testing';

/** The bench's traffic is seeded, so every run sends the same (the generator is the specs' own). */
export { seededRandom };

export interface TrafficOptions {
  /** Default 1. */
  seed?: number;
  /** Distinct users. Default 20,000. */
  users?: number;
  /** Distinct benign addresses (two users share one, roughly). Default 10,000. */
  addresses?: number;
  /** Share of events that are attacks. Default 0.1. */
  attackShare?: number;
  /** Distinct events generated up front and then cycled. Default 50,000. */
  poolSize?: number;
}

/** An event without its time, and its JSON after the `time` field. */
interface Shape {
  event: Omit<AuthEventInput, 'time'>;
  /** `"source":…}`: the JSON of `event` without its opening brace. */
  jsonTail: string;
}

const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'okta-auth-js/7.8.0 okta-signin-widget-7.26.1',
];
const ATTACK_AGENTS = ['python-requests/2.32.3', 'Mozilla/5.0 (compatible; Hydra)', 'curl/8.5.0'];
const SERVICES = ['cart', 'checkout', 'payments', 'catalog', 'orders', 'shipping'];

/** The addresses the attacks come from (documentation ranges), and what each does. */
export const ATTACKERS = [
  { ip: '203.0.113.66', kind: 'brute-force', user: 'admin@example.com' },
  { ip: '203.0.113.67', kind: 'brute-force', user: 'root@example.com' },
  { ip: '198.51.100.99', kind: 'brute-force', user: 'ceo@example.com' },
  { ip: '203.0.113.200', kind: 'password-spray', user: '' },
  { ip: '198.51.100.7', kind: 'password-spray', user: '' },
  { ip: '198.51.100.8', kind: 'password-spray', user: '' },
] as const;

/**
 * Authentication traffic as a mid-sized company sees it. Benign (90% by default): sign-ins at the
 * IdP from many users, each from a home and sometimes a mobile address (mostly successes, one in
 * ten a mistyped password, some MFA challenges), requests through the ingress, service-to-service
 * calls in the mesh. Attacks (10%): brute force against three accounts and password spraying
 * across all users, from six addresses. Events carry no `id`, as access logs do: the collector
 * assigns one. A pool of distinct events is built once and cycled; only the time changes.
 */
export class TrafficGenerator {
  private readonly pool: Shape[];
  private next = 0;

  constructor(options: TrafficOptions = {}) {
    const random = seededRandom(options.seed ?? 1);
    const users = options.users ?? 20_000;
    const addresses = options.addresses ?? 10_000;
    const attackShare = options.attackShare ?? 0.1;
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const benignAddress = (i: number): string => `100.${64 + ((i >> 16) & 63)}.${(i >> 8) & 255}.${i & 255}`;
    const podAddress = (i: number): string => `10.42.${(i >> 8) & 255}.${i & 255}`;
    const shape = (event: Omit<AuthEventInput, 'time'>): Shape => ({ event, jsonTail: JSON.stringify(event).slice(1) });

    this.pool = Array.from({ length: options.poolSize ?? 50_000 }, (): Shape => {
      if (random() < attackShare) {
        const attacker = pick(ATTACKERS);
        const user = attacker.kind === 'brute-force' ? attacker.user : `user${Math.floor(random() * users)}@example.com`;
        return shape({
          source: { kind: 'okta', name: 'corp' },
          plane: 'north-south',
          action: 'login',
          outcome: 'failure',
          reason: 'INVALID_CREDENTIALS',
          principal: { type: 'user', id: user },
          client: { ip: attacker.ip, userAgent: pick(ATTACK_AGENTS) },
          target: { host: 'login.example.com', path: '/api/v1/authn', method: 'POST' },
          auth: { method: 'password', mfa: false },
        });
      }
      const u = Math.floor(random() * users);
      const user = `user${u}@example.com`;
      const ip = random() < 0.8 ? benignAddress(u % addresses) : benignAddress((u * 7_919 + 13) % addresses);
      const kind = random();
      if (kind < 0.8) {
        const roll = random();
        const outcome = roll < 0.88 ? 'success' : roll < 0.98 ? 'failure' : 'challenge';
        return shape({
          source: { kind: 'okta', name: 'corp' },
          plane: 'north-south',
          action: outcome === 'challenge' ? 'mfa' : 'login',
          outcome,
          ...(outcome === 'failure' ? { reason: 'INVALID_CREDENTIALS' } : {}),
          principal: { type: 'user', id: user },
          client: { ip, userAgent: pick(USER_AGENTS), deviceId: `dev-${u.toString(36)}`, sessionId: `s-${Math.floor(random() * 1e9).toString(36)}` },
          target: { host: 'login.example.com', path: '/api/v1/authn', method: 'POST' },
          auth: { method: 'password', mfa: outcome !== 'failure' && random() < 0.7 },
        });
      }
      if (kind < 0.92) {
        const ok = random() < 0.97;
        return shape({
          source: { kind: 'nginx', name: 'ingress-public' },
          plane: 'north-south',
          action: 'request',
          outcome: ok ? 'success' : 'failure',
          ...(ok ? {} : { reason: 'expired token' }),
          principal: { type: 'user', id: user },
          client: { ip, userAgent: pick(USER_AGENTS), tokenId: `tok-${u.toString(36)}` },
          target: { host: 'shop.example.com', path: `/api/${pick(SERVICES)}`, method: random() < 0.7 ? 'GET' : 'POST' },
          auth: { method: 'bearer' },
        });
      }
      const from = pick(SERVICES);
      const to = pick(SERVICES);
      const spiffeId = `spiffe://cluster.local/ns/shop/sa/${from}`;
      return shape({
        source: { kind: 'envoy', name: 'mesh' },
        plane: 'east-west',
        action: 'request',
        outcome: random() < 0.995 ? 'success' : 'failure',
        principal: { type: 'service', id: spiffeId, spiffeId },
        client: { ip: podAddress(Math.floor(random() * 2_000)) },
        target: { service: to, namespace: 'shop', path: `/v1/${to}`, method: 'POST' },
        auth: { method: 'mtls' },
      });
    });
  }

  /** The next `count` events, all with event time `at` (epoch ms). */
  events(count: number, at: number = Date.now()): AuthEventInput[] {
    const time = new Date(at).toISOString();
    const out: AuthEventInput[] = new Array<AuthEventInput>(count);
    for (let i = 0; i < count; i++) out[i] = { time, ...this.take().event };
    return out;
  }

  /** The next `count` events as an NDJSON body, all with event time `at` (epoch ms). */
  ndjson(count: number, at: number = Date.now()): string {
    const head = `{"time":"${new Date(at).toISOString()}",`;
    const lines: string[] = new Array<string>(count);
    for (let i = 0; i < count; i++) lines[i] = head + this.take().jsonTail;
    return lines.join('\n');
  }

  private take(): Shape {
    const shape = this.pool[this.next] as Shape;
    this.next = (this.next + 1) % this.pool.length;
    return shape;
  }
}

/** `count` failed password logins from `ip` against one account: a brute force, as NDJSON. */
export function bruteForceNdjson(ip: string, count: number, at: number = Date.now()): string {
  const time = new Date(at).toISOString();
  const line = JSON.stringify({
    time,
    source: { kind: 'okta', name: 'corp' },
    plane: 'north-south',
    action: 'login',
    outcome: 'failure',
    reason: 'INVALID_CREDENTIALS',
    principal: { type: 'user', id: 'admin@example.com' },
    client: { ip, userAgent: 'python-requests/2.32.3' },
    target: { host: 'login.example.com', path: '/api/v1/authn', method: 'POST' },
  } satisfies AuthEventInput);
  return Array.from({ length: count }, () => line).join('\n');
}
