import { ApiException, ApisApi, CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { AppError } from '@ratchet/kernel';
import type { JsonPatchOperation, KubernetesObject, ObjectRef } from '@ratchet/policy';

/**
 * The few Kubernetes API calls the policy applier makes. A narrow seam so the applier is tested
 * against an HTTP server speaking these paths, and nothing else of the client leaks into it.
 */
export interface KubernetesApi {
  /** `group/version` of every API the server serves (discovery, `GET /apis`). */
  servedApis(): Promise<Set<string>>;
  /** The object, or undefined when there is none. */
  get(ref: ObjectRef): Promise<KubernetesObject | undefined>;
  /** Objects of a kind in every namespace that match a label selector. */
  list(apiVersion: string, kind: string, labelSelector: string): Promise<KubernetesObject[]>;
  /** Server-side apply (`application/apply-patch+yaml`) with field manager `ratchet`; `status` applies to the status subresource. */
  apply(object: KubernetesObject, options: { force: boolean; status?: boolean }): Promise<void>;
  jsonPatch(ref: ObjectRef, operations: readonly JsonPatchOperation[]): Promise<void>;
  /** Deletes; an object already gone is not an error. */
  delete(ref: ObjectRef): Promise<void>;
}

export const FIELD_MANAGER = 'ratchet';

/** A failed API call: `status` is the HTTP status (0 when no answer came); 5xx, 429 and no answer are retryable. */
export class KubernetesApiError extends AppError {
  constructor(
    readonly status: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('KUBERNETES.API_ERROR', message, status === 0 || status === 429 || status >= 500, options);
  }
}

/** `Policy` → `policies`, `NetworkPolicy` → `networkpolicies`: the plural of every kind the renderers write. */
export function resourcePlural(kind: string): string {
  const lower = kind.toLowerCase();
  return lower.endsWith('y') ? `${lower.slice(0, -1)}ies` : `${lower}s`;
}

function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/**
 * `KubernetesApi` over `@kubernetes/client-node`. Every kind the renderers write lives under
 * `/apis/<group>/<version>/namespaces/<ns>/<plural>`, built-in NetworkPolicy included, so the
 * custom-objects client serves them all.
 */
export class ClientNodeKubernetesApi implements KubernetesApi {
  private readonly objects: CustomObjectsApi;
  private readonly apis: ApisApi;

  constructor(config: KubeConfig) {
    this.objects = config.makeApiClient(CustomObjectsApi);
    this.apis = config.makeApiClient(ApisApi);
  }

  /** In the cluster (service account token) when there, else `KUBECONFIG` / `~/.kube/config`. */
  static fromEnvironment(): ClientNodeKubernetesApi {
    const config = new KubeConfig();
    config.loadFromDefault();
    return new ClientNodeKubernetesApi(config);
  }

  async servedApis(): Promise<Set<string>> {
    const list = await call('GET /apis', () => this.apis.getAPIVersions());
    const served = new Set<string>();
    for (const group of list.groups) for (const v of group.versions) served.add(v.groupVersion);
    return served;
  }

  async get(ref: ObjectRef): Promise<KubernetesObject | undefined> {
    try {
      return (await call(describe('GET', ref), () => this.objects.getNamespacedCustomObject(this.path(ref)))) as KubernetesObject;
    } catch (err) {
      if (err instanceof KubernetesApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  async list(apiVersion: string, kind: string, labelSelector: string): Promise<KubernetesObject[]> {
    const { group, version } = splitApiVersion(apiVersion);
    const list = (await call(`LIST ${kind}`, () =>
      this.objects.listClusterCustomObject({ group, version, plural: resourcePlural(kind), labelSelector }),
    )) as { items?: Array<Omit<KubernetesObject, 'apiVersion' | 'kind'>> };
    // List items carry no apiVersion/kind of their own on every server; the request named them.
    return (list.items ?? []).map((item) => ({ ...item, apiVersion, kind }));
  }

  async apply(object: KubernetesObject, options: { force: boolean; status?: boolean }): Promise<void> {
    const ref = refOf(object);
    const request = { ...this.path(ref), body: object, fieldManager: FIELD_MANAGER, force: options.force };
    const headers = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
    await call(describe(options.status ? 'APPLY status of' : 'APPLY', ref), () =>
      options.status ? this.objects.patchNamespacedCustomObjectStatus(request, headers) : this.objects.patchNamespacedCustomObject(request, headers),
    );
  }

  async jsonPatch(ref: ObjectRef, operations: readonly JsonPatchOperation[]): Promise<void> {
    await call(describe('PATCH', ref), () =>
      this.objects.patchNamespacedCustomObject({ ...this.path(ref), body: operations, fieldManager: FIELD_MANAGER }, setHeaderOptions('Content-Type', PatchStrategy.JsonPatch)),
    );
  }

  async delete(ref: ObjectRef): Promise<void> {
    try {
      await call(describe('DELETE', ref), () => this.objects.deleteNamespacedCustomObject(this.path(ref)));
    } catch (err) {
      if (!(err instanceof KubernetesApiError && err.status === 404)) throw err;
    }
  }

  private path(ref: ObjectRef) {
    return { ...splitApiVersion(ref.apiVersion), namespace: ref.namespace, plural: resourcePlural(ref.kind), name: ref.name };
  }
}

export function refOf(object: KubernetesObject): ObjectRef {
  return { apiVersion: object.apiVersion, kind: object.kind, namespace: object.metadata.namespace ?? 'default', name: object.metadata.name };
}

/** `NetworkPolicy shop/ratchet-…`: how messages name an object. */
export const describeRef = (ref: ObjectRef): string => `${ref.kind} ${ref.namespace}/${ref.name}`;

const describe = (verb: string, ref: ObjectRef): string => `${verb} ${describeRef(ref)}`;

/** Runs one call and turns the client's failures into `KubernetesApiError` with the server's message. */
async function call<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ApiException) {
      const body: unknown = err.body;
      const detail = typeof body === 'string' ? safeMessage(body) : undefined;
      throw new KubernetesApiError(err.code, `${what}: HTTP ${err.code}${detail ? ` ${detail}` : ''}`, { cause: err });
    }
    throw new KubernetesApiError(0, `${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** The `message` of a Kubernetes `Status` body; never the whole body. */
function safeMessage(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    return typeof parsed.message === 'string' ? parsed.message.slice(0, 300) : undefined;
  } catch {
    return undefined;
  }
}
