import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { awaitUntil, testInfra, uniqueName } from '@ratchet/testing';
import { EnvoyProcess, TestPki } from './support/envoy';
import { IngestProcess } from './support/ingest';
import { freePort, sharedInfraEnv, startServicesShape, type ServicesShape } from './support/services';

/**
 * A workload of a trust domain this mesh does not federate with. Its certificate chains to a root
 * Envoy trusts (a sibling cluster sharing the root CA, or a CA that issued what it should not), so
 * mTLS lets it in: only the identity in it says it does not belong here — what
 * `mesh.unknown-identity` (trust domains: cluster.local) reads from the access log.
 */
const OUTSIDER = 'spiffe://partner.example/ns/batch/sa/exporter';
const CART = 'spiffe://cluster.local/ns/shop/sa/cart';
const CHECKOUT = 'spiffe://cluster.local/ns/shop/sa/checkout';

/**
 * The east-west chain as an operator would write it, with a TTL short enough to see the decision
 * lapse. `cooldown` as the shipped chain has it: calls while denied extend the deny, and once it has
 * lapsed the chain waits a minute before denying the same workload again.
 */
const CHAINS = `apiVersion: ratchet.dev/v1
kind: Chain
metadata:
  name: east-west
  description: Deny in the mesh a workload from a foreign trust domain, briefly
spec:
  match: signal.type == "mesh_unknown_identity"
  steps:
    - if: signal.severity >= 0.9
      then: [{ action: mesh.deny, ttl: 4s }]
  cooldown: 1m
  mode: enforce
`;

/**
 * The whole loop for a mesh principal: the official Envoy terminating mTLS, asking the enforcer
 * over gRPC ext_authz before every request, its Istio-style JSON access log tailed by `ratchet
 * ingest --source envoy-json --follow` into the collector, the scorer and the enforcer behind it
 * over the shared Kafka and Redis. Nothing but Envoy's own log tells Ratchet about the outsider.
 */
describe('Envoy access log → collector → Kafka → scorer → enforcer → Envoy ext_authz (gRPC)', { timeout: 240_000 }, () => {
  const infra = testInfra();
  const prefix = `${uniqueName('e2e-envoy-loop')}.`;
  let dir: string;
  let upstream: Server;
  let pki: TestPki;
  let services: ServicesShape;
  let envoy: EnvoyProcess;
  let ingest: IngestProcess;
  let outsider: { key: Buffer; cert: Buffer; ca: Buffer };
  let cart: { key: Buffer; cert: Buffer; ca: Buffer };
  let checkout: { key: Buffer; cert: Buffer; ca: Buffer };
  let served = 0;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ratchet-envoy-loop-'));
    await writeFile(join(dir, 'chains.yaml'), CHAINS);
    const [upstreamPort, grpcPort, envoyPort, adminPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    upstream = createServer((_request, response) => {
      served++;
      response.end('orders');
    });
    await new Promise<void>((resolve) => upstream.listen(upstreamPort, '127.0.0.1', resolve));
    pki = await TestPki.create();
    [outsider, cart, checkout] = await Promise.all([pki.client('exporter', OUTSIDER), pki.client('cart', CART), pki.client('checkout', CHECKOUT)]);
    services = await startServicesShape({ ...sharedInfraEnv(infra, prefix), RATCHET_CHAINS: join(dir, 'chains.yaml'), RATCHET_EXT_AUTHZ_GRPC_PORT: String(grpcPort) });
    const accessLog = join(dir, 'access.log');
    envoy = new EnvoyProcess(envoyPort, adminPort, upstreamPort, { kind: 'grpc', port: grpcPort }, pki, { accessLog });
    await envoy.start();
    ingest = new IngestProcess('envoy-json', accessLog, services.collector.url);
    ingest.start();
  });

  after(async () => {
    await ingest?.stop();
    await envoy?.stop();
    await services?.stop();
    await new Promise((resolve) => upstream?.close(resolve));
    await pki?.remove();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('answers 403 at Envoy to a workload of a foreign trust domain, 200 to the workloads of the mesh, and 200 again once the decision expires', async (t) => {
    // The first check also opens Envoy's HTTP/2 connection to Ratchet: await it rather than race it.
    await awaitUntil('Envoy to let the mesh workloads through', async () => ((await envoy.get('/orders', cart)) === 200 ? true : undefined), { everyMs: 100 });

    // The outsider calls until Envoy refuses it; the mesh's own workloads keep calling meanwhile.
    const outsiderAnswers = new Map<number, number>();
    const meshAnswers = new Map<number, number>();
    const count = (answers: Map<number, number>, status: number): void => void answers.set(status, (answers.get(status) ?? 0) + 1);
    let calls = 0;
    const firstCall = performance.now();
    await awaitUntil(
      'Envoy to refuse the outsider',
      async () => {
        const status = await envoy.get(`/orders?page=${++calls}`, outsider);
        count(outsiderAnswers, status);
        count(meshAnswers, await envoy.get('/orders', calls % 2 === 0 ? cart : checkout));
        return status === 403 ? true : undefined;
      },
      { everyMs: 20, timeoutMs: 60_000 },
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\n--- ingest ---\n${ingest.log()}\n${services.log()}`);
    });
    const timeToEnforceMs = performance.now() - firstCall;
    assert.deepEqual([...outsiderAnswers.keys()].sort(), [200, 403], 'the outsider was served until Envoy refused it');
    assert.deepEqual([...meshAnswers.keys()], [200], "the mesh's own workloads were served throughout");

    const servedBefore = served;
    assert.equal(await envoy.get('/orders', outsider), 403);
    assert.equal(served, servedBefore, 'a refused request never reaches the app');
    assert.equal(await envoy.get('/orders', cart), 200);
    assert.equal(served, servedBefore + 1);

    // Every call the outsider made is in the log and extends the deny; awaited where it is decided,
    // since calling through Envoy to find out would extend it again.
    type Decision = { entity: string; action: string; expiresAt: string; reason: { chain: string } };
    const decisionsOnOutsider = async (): Promise<Decision[]> =>
      ((await (await fetch(`${services.enforcer.url}/v1/decisions`)).json()) as { decisions: Decision[] }).decisions.filter((d) => d.entity === `svc:${OUTSIDER}`);
    const [deny] = await decisionsOnOutsider();
    assert.equal(deny?.action, 'mesh.deny');
    assert.equal(deny.reason.chain, 'east-west');
    let lastExpiry = Date.parse(deny.expiresAt);
    await awaitUntil(
      'the decision to expire',
      async () => {
        const inForce = await decisionsOnOutsider();
        for (const d of inForce) lastExpiry = Math.max(lastExpiry, Date.parse(d.expiresAt));
        return inForce.length === 0 ? true : undefined;
      },
      { everyMs: 100, timeoutMs: 60_000 },
    );
    assert.ok(Date.now() >= lastExpiry, 'the decision left the store only once expired');
    assert.equal(await envoy.get('/orders', outsider), 200, 'the outsider is let in again once the decision expired');
    assert.equal(await envoy.get('/orders', cart), 200);
    t.diagnostic(`time to enforce (first call → first 403 at Envoy, through the access log and Kafka): ${Math.round(timeToEnforceMs)} ms, ${calls} calls`);
  });
});
