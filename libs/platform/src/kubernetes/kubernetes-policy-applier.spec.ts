import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import type { EnforcementAction } from '@ratchet/contracts';
import { actionId } from '@ratchet/contracts';
import { compilePolicyTargets, DEFAULT_POLICY_SETTINGS, objectName, type KubernetesObject, type PolicySettings } from '@ratchet/policy';
import { ClientNodeKubernetesApi } from './kubernetes-api';
import { KubernetesPolicyApplier } from './kubernetes-policy-applier';

/**
 * No kube-apiserver can be had here (no cluster, and neither the API server nor etcd ships in a
 * package registry), so the applier talks, through the real @kubernetes/client-node, to a small
 * HTTP server that speaks the API paths it uses, keeps objects in memory, and records every request.
 */
interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  contentType: string;
  body: unknown;
}

class RecordingApiServer {
  readonly requests: Recorded[] = [];
  readonly objects = new Map<string, KubernetesObject>();
  /** Statuses to answer, in order, for requests whose method and path match, before serving normally. */
  readonly failures: Array<{ method: string; path: string; status: number }> = [];
  served = ['k8s.nginx.org/v1', 'security.istio.io/v1', 'networking.k8s.io/v1', 'cert-manager.io/v1'];
  private server: Server | undefined;

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  reset(): void {
    this.requests.length = 0;
    this.objects.clear();
    this.failures.length = 0;
  }

  put(path: string, object: KubernetesObject): void {
    this.objects.set(path, structuredClone(object));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    const contentType = String(req.headers['content-type'] ?? '');
    const body: unknown = text === '' ? undefined : JSON.parse(text);
    this.requests.push({ method, path: url.pathname, query: url.searchParams, contentType, body });
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    const fail = (status: number, message: string) => send(status, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message, code: status });
    const injected = this.failures.findIndex((f) => f.method === method && f.path === url.pathname);
    if (injected >= 0) {
      const [f] = this.failures.splice(injected, 1);
      return fail(f?.status ?? 500, 'injected failure');
    }
    if (url.pathname === '/apis') {
      return send(200, { kind: 'APIGroupList', apiVersion: 'v1', groups: this.served.map((gv) => ({ name: gv.split('/')[0], versions: [{ groupVersion: gv, version: gv.split('/')[1] }] })) });
    }
    const parts = url.pathname.split('/').filter(Boolean); // apis g v [namespaces ns] plural [name] [status]
    if (parts.length === 4 && method === 'GET') {
      const [k, v] = (url.searchParams.get('labelSelector') ?? '').split('=');
      const prefix = `/apis/${parts[1]}/${parts[2]}/namespaces/`;
      const items = [...this.objects.entries()]
        .filter(([path]) => path.startsWith(prefix) && path.split('/')[6] === parts[3])
        .map(([, o]) => o)
        .filter((o) => k === undefined || o.metadata.labels?.[k] === v);
      return send(200, { kind: 'List', apiVersion: 'v1', items });
    }
    const status = parts[7] === 'status';
    const path = `/${parts.slice(0, 7).join('/')}`;
    const existing = this.objects.get(path);
    if (method === 'GET') return existing ? send(200, existing) : fail(404, 'not found');
    if (method === 'DELETE') {
      if (!existing) return fail(404, 'not found');
      this.objects.delete(path);
      return send(200, { kind: 'Status', status: 'Success' });
    }
    if (method === 'PATCH' && contentType.startsWith('application/apply-patch')) {
      const applied = body as KubernetesObject;
      const next = status ? { ...(existing as KubernetesObject), status: applied.status } : { ...existing, ...applied };
      this.objects.set(path, next);
      return send(200, next);
    }
    if (method === 'PATCH' && contentType.startsWith('application/json-patch')) {
      if (!existing) return fail(404, 'not found');
      const next = structuredClone(existing) as KubernetesObject & { spec: Record<string, unknown> };
      for (const op of body as Array<{ op: string; path: string; value?: unknown }>) {
        const list = next.spec['policies'] as unknown[] | undefined;
        if (op.op === 'add' && op.path === '/spec/policies') next.spec['policies'] = op.value;
        else if (op.op === 'add' && op.path === '/spec/policies/-') list?.push(op.value);
        else if (op.op === 'test' && JSON.stringify(list?.[Number(op.path.split('/')[3])]) !== JSON.stringify(op.value)) return fail(422, 'test failed');
        else if (op.op === 'remove') list?.splice(Number(op.path.split('/')[3]), 1);
      }
      this.objects.set(path, next);
      return send(200, next);
    }
    return fail(405, `${method} ${url.pathname} is not served by this test server`);
  }
}

const NOW = Date.parse('2026-03-14T09:26:53.000Z');

/** What every decision here shares; each test names the action, entity and parameters. */
const DECIDED = {
  v: 1,
  reason: { chain: 'brute-force-to-block', step: 1, signalType: 'auth.brute-force', signalId: 'sig-1', score: 80 },
  mode: 'enforce',
  state: 'applied',
  ttlMs: 600_000,
  decidedAt: NOW,
  expiresAt: NOW + 600_000,
} as const;

const decision = (action: EnforcementAction['action'], entity: EnforcementAction['entity'], params?: EnforcementAction['params']): EnforcementAction =>
  params ? { ...DECIDED, id: actionId(action, entity), action, entity, params } : { ...DECIDED, id: actionId(action, entity), action, entity };

const VS_PATH = '/apis/k8s.nginx.org/v1/namespaces/shop/virtualservers/storefront';
const SETTINGS: PolicySettings = {
  ...DEFAULT_POLICY_SETTINGS,
  nginxVirtualServers: [{ apiVersion: 'k8s.nginx.org/v1', kind: 'VirtualServer', namespace: 'shop', name: 'storefront' }],
};
const virtualServer = (policies?: unknown[]): KubernetesObject => ({
  apiVersion: 'k8s.nginx.org/v1',
  kind: 'VirtualServer',
  metadata: { name: 'storefront', namespace: 'shop' },
  spec: { host: 'shop.example.com', ...(policies ? { policies } : {}) },
});

describe('KubernetesPolicyApplier over @kubernetes/client-node', () => {
  const server = new RecordingApiServer();
  let api: ClientNodeKubernetesApi;
  const waits: number[] = [];
  const applier = (targets: string, settings = SETTINGS) =>
    new KubernetesPolicyApplier(api, compilePolicyTargets(targets), settings, { sleep: async (ms) => void waits.push(ms) });

  before(async () => {
    const config = new KubeConfig();
    config.loadFromClusterAndUser({ name: 'test', server: await server.start(), skipTLSVerify: true }, { name: 'ratchet' });
    api = new ClientNodeKubernetesApi(config);
  });
  after(() => server.stop());
  beforeEach(() => {
    server.reset();
    waits.length = 0;
  });

  it('creates the Policy by server-side apply as field manager ratchet and appends it to the VirtualServer', async () => {
    server.put(VS_PATH, virtualServer([{ name: 'operators-allowlist' }]));
    const deny = decision('ingress.deny', 'ip:203.0.113.7');
    const outcomes = await applier('nginx-ingress-policy').reconcile([deny]);
    assert.deepEqual(outcomes.map((o) => [o.state, o.object]), [
      ['applied', `Policy ratchet/${objectName(deny)}`],
      ['applied', 'VirtualServer shop/storefront spec.policies'],
    ]);
    const apply = server.requests.find((r) => r.method === 'PATCH' && r.contentType.startsWith('application/apply-patch+yaml'));
    assert.ok(apply, 'a server-side apply was sent');
    assert.equal(apply.path, `/apis/k8s.nginx.org/v1/namespaces/ratchet/policies/${objectName(deny)}`);
    assert.equal(apply.query.get('fieldManager'), 'ratchet');
    assert.equal(apply.query.get('force'), 'false', 'a new object needs no force');
    const policy = server.objects.get(apply.path);
    assert.deepEqual(policy?.spec, { accessControl: { deny: ['203.0.113.7'] } });
    assert.deepEqual(server.objects.get(VS_PATH)?.spec?.['policies'], [{ name: 'operators-allowlist' }, { name: objectName(deny), namespace: 'ratchet' }]);
  });

  it('changes nothing on a second pass over the same decisions but re-applying its own objects', async () => {
    server.put(VS_PATH, virtualServer());
    const deny = decision('ingress.deny', 'ip:203.0.113.7');
    await applier('nginx-ingress-policy').reconcile([deny]);
    server.requests.length = 0;
    await applier('nginx-ingress-policy').reconcile([deny]);
    const writes = server.requests.filter((r) => r.method !== 'GET');
    assert.deepEqual(writes.map((r) => [r.method, r.contentType.split(';')[0], r.query.get('force')]), [['PATCH', 'application/apply-patch+yaml', 'true']]);
    assert.deepEqual(server.objects.get(VS_PATH)?.spec?.['policies'], [{ name: objectName(deny), namespace: 'ratchet' }]);
  });

  it('removes the Policy and only its own VirtualServer reference once the decision is no longer active', async () => {
    const deny = decision('ingress.deny', 'ip:203.0.113.7');
    server.put(VS_PATH, virtualServer([{ name: 'operators-allowlist' }]));
    await applier('nginx-ingress-policy').reconcile([deny]);
    const outcomes = await applier('nginx-ingress-policy').reconcile([]);
    assert.deepEqual(outcomes, [{ actionId: deny.id, target: 'nginx-ingress-policy', state: 'reverted', object: `Policy ratchet/${objectName(deny)}` }]);
    assert.equal(server.objects.has(`/apis/k8s.nginx.org/v1/namespaces/ratchet/policies/${objectName(deny)}`), false);
    assert.deepEqual(server.objects.get(VS_PATH)?.spec?.['policies'], [{ name: 'operators-allowlist' }]);
  });

  it('never touches a same-named object Ratchet does not own, and records the action failed with reason not-owned', async () => {
    const deny = decision('mesh.deny', 'svc:spiffe://cluster.local/ns/shop/sa/cart');
    const path = `/apis/security.istio.io/v1/namespaces/istio-system/authorizationpolicies/${objectName(deny)}`;
    const theirs: KubernetesObject = { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: objectName(deny), namespace: 'istio-system' }, spec: { action: 'ALLOW' } };
    server.put(path, theirs);
    const outcomes = await applier('istio-authorization-policy').reconcile([deny]);
    assert.deepEqual(outcomes.map((o) => [o.state, o.reason]), [['failed', 'not-owned']]);
    assert.deepEqual(server.objects.get(path), theirs);
    assert.equal(server.requests.filter((r) => r.method !== 'GET').length, 0);
  });

  it('leaves unlabelled objects alone when reconciling deletions', async () => {
    const path = '/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies/default-deny';
    server.put(path, { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'default-deny', namespace: 'shop' }, spec: { podSelector: {} } });
    assert.deepEqual(await applier('network-policy').reconcile([]), []);
    assert.ok(server.objects.has(path));
    assert.equal(server.requests.find((r) => r.method === 'GET' && r.path.endsWith('/networkpolicies'))?.query.get('labelSelector'), 'app.kubernetes.io/managed-by=ratchet');
  });

  it('retries an overloaded API server with growing waits, then applies', async () => {
    const quarantine = decision('network.quarantine', 'svc:spiffe://cluster.local/ns/shop/sa/cart', { selector: 'app=cart' });
    const path = `/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies/${objectName(quarantine)}`;
    server.failures.push({ method: 'PATCH', path, status: 503 }, { method: 'PATCH', path, status: 429 });
    const outcomes = await applier('network-policy').reconcile([quarantine]);
    assert.deepEqual(outcomes.map((o) => o.state), ['applied']);
    assert.deepEqual(waits, [250, 500]);
    assert.ok(server.objects.has(path));
  });

  it('records a change failed with the API answer when it keeps failing or is refused', async () => {
    const quarantine = decision('network.quarantine', 'svc:spiffe://cluster.local/ns/shop/sa/cart', { selector: 'app=cart' });
    const path = `/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies/${objectName(quarantine)}`;
    for (let i = 0; i < 4; i++) server.failures.push({ method: 'PATCH', path, status: 500 });
    const [failed] = await applier('network-policy').reconcile([quarantine]);
    assert.equal(failed?.state, 'failed');
    assert.match(failed?.reason ?? '', /APPLY NetworkPolicy shop\/ratchet-[0-9a-f]{16}: HTTP 500 injected failure/);
    assert.equal(waits.length, 3);
    server.failures.push({ method: 'PATCH', path, status: 403 });
    waits.length = 0;
    const [forbidden] = await applier('network-policy').reconcile([quarantine]);
    assert.match(forbidden?.reason ?? '', /HTTP 403/);
    assert.deepEqual(waits, [], 'a refusal is not retried');
  });

  it('records a refused rendering as a failed action with the renderer’s reason', async () => {
    const [outcome] = await applier('network-policy').reconcile([decision('network.quarantine', 'svc:spiffe://cluster.local/ns/shop/sa/cart')]);
    assert.equal(outcome?.state, 'failed');
    assert.match(outcome?.reason ?? '', /needs params\.selector/);
  });

  it('asks cert-manager to re-issue once per decision by applying the Issuing condition to the status', async () => {
    const path = '/apis/cert-manager.io/v1/namespaces/shop/certificates/cart-tls';
    server.put(path, { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: 'cart-tls', namespace: 'shop' }, spec: { secretName: 'cart-tls' } });
    const rotate = decision('cert.rotate', 'svc:spiffe://cluster.local/ns/shop/sa/cart', { certificate: 'shop/cart-tls' });
    const a = applier('cert-manager');
    await a.reconcile([rotate]);
    await a.reconcile([rotate]);
    const statusWrites = server.requests.filter((r) => r.method === 'PATCH' && r.path === `${path}/status`);
    assert.equal(statusWrites.length, 1);
    assert.equal(statusWrites[0]?.query.get('fieldManager'), 'ratchet');
    const conditions = server.objects.get(path)?.status?.['conditions'] as Array<Record<string, string>>;
    assert.deepEqual([conditions[0]?.['type'], conditions[0]?.['status']], ['Issuing', 'True']);
  });

  it('refuses at start-up a target whose API the cluster does not serve, naming it', async () => {
    server.served = ['networking.k8s.io/v1'];
    try {
      await assert.rejects(applier('network-policy,istio-peer-authentication').verifyTargets(), /target "istio-peer-authentication" needs security\.istio\.io\/v1, which the cluster does not serve/);
      await applier('network-policy').verifyTargets();
    } finally {
      server.served = ['k8s.nginx.org/v1', 'security.istio.io/v1', 'networking.k8s.io/v1', 'cert-manager.io/v1'];
    }
  });
});
