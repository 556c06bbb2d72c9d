import { Logger } from '@nestjs/common';
import type { AuthEventInput } from '@ratchet/contracts';

const BENIGN = Array.from({ length: 12 }, (_, i) => ({ ip: `192.0.2.${10 + i}`, user: `employee${i}@example.com` }));
const SPRAYER = '203.0.113.66';
const BRUTE_FORCER = '198.51.100.99';

/**
 * `--demo`: plays normal sign-ins (an occasional typo, then success) from twelve employees, a
 * password-spraying address and a brute-forcing one, through the real HTTP ingest, and every two
 * seconds asks /authz (as NGINX would, with X-Real-IP) about an attacker and an employee.
 */
export function startDemoTraffic(baseUrl: string): { stop(): void } {
  const log = new Logger('demo');
  let tick = 0;
  let reported = '';
  const login = (ip: string, user: string, outcome: 'success' | 'failure'): AuthEventInput => ({
    time: new Date().toISOString(),
    source: { kind: 'demo' },
    plane: 'north-south',
    action: 'login',
    outcome,
    ...(outcome === 'failure' ? { reason: 'bad password' } : {}),
    principal: { type: 'user', id: user },
    client: { ip, userAgent: 'Mozilla/5.0 (demo)' },
    target: { host: 'login.example.com', path: '/login' },
  });

  const send = async (events: AuthEventInput[]): Promise<void> => {
    const body = events.map((e) => JSON.stringify(e)).join('\n');
    const response = await fetch(`${baseUrl}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
    if (response.status !== 202) log.warn(`ingest answered ${response.status}: ${await response.text()}`);
  };

  const authz = async (ip: string): Promise<number> =>
    (await fetch(`${baseUrl}/authz`, { headers: { 'x-real-ip': ip, 'x-original-uri': '/login', 'x-original-method': 'POST' } })).status;

  const timer = setInterval(() => {
    tick++;
    const events: AuthEventInput[] = [];
    const employee = BENIGN[tick % BENIGN.length] as (typeof BENIGN)[number];
    if (tick % 7 === 0) events.push(login(employee.ip, employee.user, 'failure'));
    events.push(login(employee.ip, employee.user, 'success'));
    events.push(login(SPRAYER, `user${tick % 40}@example.com`, 'failure'));
    if (tick > 20) events.push(login(BRUTE_FORCER, 'admin@example.com', 'failure'), login(BRUTE_FORCER, 'admin@example.com', 'failure'));
    void send(events).catch((err: unknown) => log.warn(`${String(err)}`));

    if (tick % 10 === 0) {
      void Promise.all([authz(SPRAYER), authz(BRUTE_FORCER), authz(employee.ip)]).then(([spray, brute, benign]) => {
        const line = `/authz sprayer ${SPRAYER} → ${spray}, brute-forcer ${BRUTE_FORCER} → ${brute}, employee ${employee.ip} → ${benign}`;
        if (line !== reported || tick % 100 === 0) log.log(line);
        reported = line;
      });
    }
  }, 200);
  log.log(`playing sign-ins of ${BENIGN.length} employees, a password spray from ${SPRAYER} and, after 4 s, a brute force from ${BRUTE_FORCER}`);
  return { stop: () => clearInterval(timer) };
}
