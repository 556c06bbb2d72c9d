import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answers200, Child } from './child';

const NGINX = process.env['NGINX_BIN'] ?? '/usr/sbin/nginx';

/**
 * A real NGINX (Debian's, built with auth_request and realip) on loopback in front of an
 * upstream, asking Ratchet's /authz before every request — what an NGINX-based ingress does.
 * Client addresses come from X-Forwarded-For sent by the test (a trusted hop, as a load balancer
 * would be), so one machine can play many clients.
 */
export class NginxProcess {
  private child: Child | undefined;
  private dir = '';

  /**
   * `passRateLimits`: add the docs/enforcement.md recipe that turns Ratchet's 429 (which
   * `auth_request` would make a 500) back into a 429 with its Retry-After. `accessLog`: a path
   * NGINX writes its access log to, in the `combined` format, for `ratchet ingest` to tail.
   */
  constructor(
    readonly port: number,
    private readonly upstreamPort: number,
    private readonly authzUrl: string,
    private readonly options: { passRateLimits?: boolean; accessLog?: string } = {},
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (!existsSync(NGINX)) throw new Error(`${NGINX} not found: install Debian's nginx-light (.ci/run does), or set NGINX_BIN`);
    this.dir = await mkdtemp(join(tmpdir(), 'ratchet-nginx-'));
    await chmod(this.dir, 0o755);
    await writeFile(join(this.dir, 'nginx.conf'), this.config());
    this.child = new Child('nginx', NGINX, ['-p', this.dir, '-c', join(this.dir, 'nginx.conf')]);
    await this.child.awaitReady(() => answers200(`${this.url}/nginx-health`));
  }

  async stop(): Promise<void> {
    // SIGQUIT: a graceful shutdown, as `nginx -s quit`.
    await this.child?.stop('SIGQUIT');
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }

  /** Requests a path as the client `clientIp` (the address a trusted load balancer reports). */
  async get(path: string, clientIp: string): Promise<number> {
    return (await this.request(path, clientIp)).status;
  }

  /** The same, keeping the answer's headers. */
  async request(path: string, clientIp: string): Promise<Response> {
    const response = await fetch(`${this.url}${path}`, { headers: { 'x-forwarded-for': clientIp } });
    await response.arrayBuffer();
    return response;
  }

  /** POSTs a login form to `path` as the client `clientIp`; resolves the status NGINX answered. */
  async postForm(path: string, clientIp: string, form: Record<string, string>): Promise<number> {
    const response = await fetch(`${this.url}${path}`, {
      method: 'POST',
      headers: { 'x-forwarded-for': clientIp, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    await response.arrayBuffer();
    return response.status;
  }

  private config(): string {
    const d = this.dir;
    return `
daemon off;
master_process on;
worker_processes 1;
user root;
pid ${d}/nginx.pid;
error_log stderr warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${d}/body;
  proxy_temp_path ${d}/proxy;
  fastcgi_temp_path ${d}/fastcgi;
  uwsgi_temp_path ${d}/uwsgi;
  scgi_temp_path ${d}/scgi;
  server {
    listen 127.0.0.1:${this.port};${this.options.accessLog ? `\n    # $remote_addr is the client realip took from X-Forwarded-For; auth_request's subrequests are not logged.\n    access_log ${this.options.accessLog} combined;` : ''}
    # The test plays clients through a trusted hop on loopback.
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Forwarded-For;

    location = /nginx-health { return 200; }

    location / {
      auth_request /_ratchet;
${this.options.passRateLimits ? RATE_LIMIT_RECIPE : ''}
      proxy_pass http://127.0.0.1:${this.upstreamPort};
    }
${this.options.passRateLimits ? RATE_LIMIT_LOCATION : ''}

    # The block the README documents.
    location = /_ratchet {
      internal;
      proxy_pass ${this.authzUrl};
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Real-IP $remote_addr;
      proxy_set_header X-Original-URI $request_uri;
      proxy_set_header X-Original-Method $request_method;
    }
  }
}
`;
  }
}

/** docs/enforcement.md: NGINX's auth_request turns a 429 into a 500; these lines turn it back. */
const RATE_LIMIT_RECIPE = `      auth_request_set $ratchet_decision $upstream_http_x_ratchet_decision;
      auth_request_set $ratchet_retry_after $upstream_http_retry_after;
      error_page 500 = @ratchet_refused;`;

const RATE_LIMIT_LOCATION = `    location @ratchet_refused {
      if ($ratchet_decision = rate-limit) {
        add_header Retry-After $ratchet_retry_after always;
        return 429;
      }
      return 500;
    }`;
