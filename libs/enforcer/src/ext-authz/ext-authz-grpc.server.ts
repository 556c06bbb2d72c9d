import { join } from 'node:path';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Server, ServerCredentials, loadPackageDefinition, status as grpcStatus, type GrpcObject, type sendUnaryData, type ServerUnaryCall, type ServiceClientConstructor, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { errorMessage } from '@ratchet/kernel';
import { RatchetMetrics } from '@ratchet/platform';
import { failModeFor } from '../fast-path/fail-mode';
import { FAST_PATH_SETTINGS, type FastPathSettings } from '../fast-path/fast-path-settings';
import { FastPathService } from '../fast-path/fast-path.service';
import { extAuthzResponse, readExtAuthzCheck } from './ext-authz-check';
import type { ProtoCheckRequest, ProtoCheckResponse } from './ext-authz-messages';

const PROTO_DIR = join(__dirname, 'proto');

/** `envoy.service.auth.v3.Authorization`, from Ratchet's subset of Envoy's protos. */
export function loadAuthorizationService(): ServiceDefinition {
  const definition = loadSync('envoy/service/auth/v3/external_auth.proto', { includeDirs: [PROTO_DIR], keepCase: true, enums: Number, longs: String, defaults: false, oneofs: true });
  const root = loadPackageDefinition(definition);
  const service = (((root['envoy'] as GrpcObject)['service'] as GrpcObject)['auth'] as GrpcObject)['v3'] as GrpcObject;
  return (service['Authorization'] as ServiceClientConstructor).service;
}

/**
 * Envoy's `ext_authz` over gRPC (`envoy.service.auth.v3.Authorization/Check`), what Istio's
 * CUSTOM action and Envoy Gateway call. Listens on its own port (HTTP/2, plaintext: put it on
 * the pod network or loopback, as a sidecar's authz service is) when configured.
 */
@Injectable()
export class ExtAuthzGrpcServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('ext-authz');
  private server: Server | undefined;
  private boundPort: number | undefined;

  constructor(
    @Inject(FastPathService) private readonly fastPath: FastPathService,
    @Inject(FAST_PATH_SETTINGS) private readonly settings: FastPathSettings,
    @Inject(RatchetMetrics) private readonly metrics: RatchetMetrics,
  ) {}

  /** The port it listens on (resolved when configured as 0); undefined when not serving. */
  port(): number | undefined {
    return this.boundPort;
  }

  async onApplicationBootstrap(): Promise<void> {
    const grpc = this.settings.grpc;
    if (!grpc) return;
    const server = new Server();
    const check = (call: ServerUnaryCall<ProtoCheckRequest, ProtoCheckResponse>, callback: sendUnaryData<ProtoCheckResponse>): void =>
      void this.check(call.request).then(
        (response) => callback(null, response),
        (err: unknown) => callback({ code: grpcStatus.INTERNAL, details: errorMessage(err) }),
      );
    server.addService(loadAuthorizationService(), { Check: check });
    const address = grpc.host.includes(':') ? `[${grpc.host}]:${grpc.port}` : `${grpc.host}:${grpc.port}`;
    this.boundPort = await new Promise<number>((resolve, reject) => server.bindAsync(address, ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))));
    this.server = server;
    this.log.log(`envoy.service.auth.v3.Authorization/Check listening on ${grpc.host}:${this.boundPort}`);
  }

  private async check(request: ProtoCheckRequest): Promise<ProtoCheckResponse> {
    const stop = this.metrics.checkSeconds.startTimer({ api: 'ext_authz_grpc' });
    const { check, routeFailMode, requestedFailMode } = readExtAuthzCheck(request, this.settings.subjectHeader);
    const answer = await this.fastPath.check(check, failModeFor(this.settings.failModes, check.path, { trusted: routeFailMode, requested: requestedFailMode }));
    stop();
    return extAuthzResponse(answer);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  }
}
