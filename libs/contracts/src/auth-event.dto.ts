import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsInt,
  IsNumber,
  IsIn,
  IsIP,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';

/**
 * The canonical authentication event, close to OCSF's Authentication class.
 * These classes are the single source of truth: the JSON Schema used on the hot path is
 * derived from their decorators (see auth-event.schema.ts), never written by hand.
 */
export const PLANES = ['north-south', 'east-west', 'control'] as const;
export type Plane = (typeof PLANES)[number];
export const AUTH_ACTIONS = ['login', 'mfa', 'token', 'request', 'api'] as const;
export type AuthAction = (typeof AUTH_ACTIONS)[number];
export const OUTCOMES = ['success', 'failure', 'challenge'] as const;
export type Outcome = (typeof OUTCOMES)[number];
export const PRINCIPAL_TYPES = ['user', 'service', 'anonymous'] as const;
export type PrincipalType = (typeof PRINCIPAL_TYPES)[number];

export class EventSourceDto {
  /** Format or product that produced the event: `okta`, `nginx`, `envoy`, `k8s-audit`, `canonical`. */
  @IsString() @Length(1, 64) kind!: string;
  /** Instance name, e.g. the ingress or tenant. */
  @IsOptional() @IsString() @MaxLength(256) name?: string;
}

export class PrincipalDto {
  @IsIn(PRINCIPAL_TYPES) type!: PrincipalType;
  @IsOptional() @IsString() @Length(1, 512) id?: string;
  @IsOptional() @IsString() @MaxLength(512) spiffeId?: string;
}

/**
 * What the address is, from the local address plan: set by the collector's enrichment (public
 * addresses only get geo and ASN), or by a producer that knows better.
 */
export const ADDRESS_SCOPES = ['public', 'private', 'loopback', 'link-local', 'shared', 'reserved'] as const;
export type AddressScope = (typeof ADDRESS_SCOPES)[number];

/** Where an address is, from a MaxMind-format City database (or the producer). */
export class GeoDto {
  /** ISO 3166-1 alpha-2, upper case: `DE`. */
  @IsOptional() @Matches(/^[A-Z]{2}$/) country?: string;
  @IsOptional() @IsString() @MaxLength(128) city?: string;
  @IsOptional() @IsNumber() @Min(-90) @Max(90) lat?: number;
  @IsOptional() @IsNumber() @Min(-180) @Max(180) lon?: number;
}

/** Who routes an address, from a MaxMind-format ASN database (or the producer). */
export class AsnDto {
  @IsInt() @Min(0) @Max(4294967295) number!: number;
  @IsOptional() @IsString() @MaxLength(256) org?: string;
}

/**
 * What a source itself established about an event, beyond the fields: a closed vocabulary so chains
 * and detectors can rely on it.
 * - `anonymizer`: the IdP says the client came through an anonymising proxy or Tor (Okta
 *   `securityContext.isProxy`, Entra `anonymizedIPAddress`).
 * - `mfa-push-denied`, `mfa-push-timeout`: the user rejected, or did not answer, a push prompt.
 * - `mfa-fraud-reported`: the user reported the prompt as fraud.
 * - `token-reuse`: the IdP saw a refresh token (or session) reused after rotation.
 * - `vendor-risk-high`: the IdP's own risk engine rated the sign-in high.
 * - `privileged-workload`: a pod spec with a privileged container, host PID/IPC/network.
 * - `host-path-mount`: a pod spec mounting a host path.
 * - `cluster-admin-grant`: a (cluster) role binding to `cluster-admin`.
 * - `impersonation`: the call was made impersonating another identity.
 * - `mtls-failure`: the TLS handshake with a peer failed (mesh).
 */
export const FACTS = [
  'anonymizer',
  'mfa-push-denied',
  'mfa-push-timeout',
  'mfa-fraud-reported',
  'token-reuse',
  'vendor-risk-high',
  'privileged-workload',
  'host-path-mount',
  'cluster-admin-grant',
  'impersonation',
  'mtls-failure',
] as const;
export type Fact = (typeof FACTS)[number];

export class ClientDto {
  @IsOptional() @IsIP() ip?: string;
  @IsOptional() @IsString() @MaxLength(1024) userAgent?: string;
  @IsOptional() @IsString() @MaxLength(256) deviceId?: string;
  @IsOptional() @IsString() @MaxLength(256) sessionId?: string;
  @IsOptional() @IsString() @MaxLength(256) tokenId?: string;
  @IsOptional() @IsIn(ADDRESS_SCOPES) scope?: AddressScope;
  @IsOptional() @ValidateNested() @Type(() => GeoDto) geo?: GeoDto;
  @IsOptional() @ValidateNested() @Type(() => AsnDto) asn?: AsnDto;
}

export class TargetDto {
  @IsOptional() @IsString() @MaxLength(512) host?: string;
  @IsOptional() @IsString() @MaxLength(4096) path?: string;
  @IsOptional() @IsString() @MaxLength(16) method?: string;
  @IsOptional() @IsString() @MaxLength(512) service?: string;
  @IsOptional() @IsString() @MaxLength(253) namespace?: string;
  /** The object acted on: a Kubernetes object's name, a role binding, a secret. */
  @IsOptional() @IsString() @MaxLength(253) name?: string;
  /** The protocol's answer: HTTP status (or an HTTP-mapped gRPC status) of the request. */
  @IsOptional() @IsInt() @Min(100) @Max(599) status?: number;
}

export class AuthDetailsDto {
  @IsOptional() @IsString() @MaxLength(64) method?: string;
  @IsOptional() @IsBoolean() mfa?: boolean;
}

export class AuthEventDto {
  /** Stable id; when a source has one, re-ingesting the same event is idempotent. Assigned when absent. */
  @IsOptional() @IsString() @Length(1, 256) id?: string;
  /** Event time, ISO-8601. Every window and decay uses it, so replays give the live answer. */
  @IsISO8601({ strict: true }) time!: string;
  @IsObject() @ValidateNested() @Type(() => EventSourceDto) source!: EventSourceDto;
  @IsIn(PLANES) plane!: Plane;
  @IsIn(AUTH_ACTIONS) action!: AuthAction;
  @IsIn(OUTCOMES) outcome!: Outcome;
  @IsOptional() @IsString() @MaxLength(512) reason?: string;
  @IsOptional() @ValidateNested() @Type(() => PrincipalDto) principal?: PrincipalDto;
  @IsOptional() @ValidateNested() @Type(() => ClientDto) client?: ClientDto;
  @IsOptional() @ValidateNested() @Type(() => TargetDto) target?: TargetDto;
  @IsOptional() @ValidateNested() @Type(() => AuthDetailsDto) auth?: AuthDetailsDto;
  @IsOptional() @IsArray() @ArrayMaxSize(16) @IsIn(FACTS, { each: true }) facts?: Fact[];
}

/** What a producer may send: the DTO's plain shape. */
export type AuthEventInput = Omit<AuthEventDto, 'source' | 'principal' | 'client' | 'target' | 'auth'> & {
  source: EventSourceDto;
  principal?: PrincipalDto;
  client?: ClientDto;
  target?: TargetDto;
  auth?: AuthDetailsDto;
};

/** An accepted event as it travels on `auth.events`: id assigned, time normalised, versioned. */
export interface AuthEvent extends AuthEventInput {
  v: 1;
  id: string;
  /** Event time in epoch milliseconds, derived once from `time`. */
  ts: number;
  /** When the collector received it, epoch milliseconds. */
  observedAt: number;
}
