import { credentials, makeGenericClientConstructor, Metadata, type Client, type ServiceError } from '@grpc/grpc-js';
import { loadAuthorizationService } from './ext-authz-grpc.server';
import type { ProtoCheckRequest, ProtoCheckResponse } from './ext-authz-messages';

/** A plaintext `envoy.service.auth.v3.Authorization` client, calling as Envoy does: for specs and the bench. */
export interface AuthorizationClient {
  check(request: ProtoCheckRequest): Promise<ProtoCheckResponse>;
  close(): void;
}

type RawClient = Client & { Check(request: ProtoCheckRequest, metadata: Metadata, callback: (err: ServiceError | null, response?: ProtoCheckResponse) => void): void };

/** `channel`: distinct values open distinct HTTP/2 connections to the same address; `metadata`: sent with every call (`x-ratchet-token`). */
export function createAuthorizationClient(address: string, channel = 0, metadata: Readonly<Record<string, string>> = {}): AuthorizationClient {
  const Authorization = makeGenericClientConstructor(loadAuthorizationService(), 'Authorization');
  const raw = new Authorization(address, credentials.createInsecure(), { 'ratchet.channel': channel }) as unknown as RawClient;
  const callMetadata = (): Metadata => {
    const sent = new Metadata();
    for (const [key, value] of Object.entries(metadata)) sent.set(key, value);
    return sent;
  };
  return {
    check: (request) => new Promise((resolve, reject) => raw.Check(request, callMetadata(), (err, response) => (err || !response ? reject(err ?? new Error('no response')) : resolve(response)))),
    close: () => raw.close(),
  };
}
