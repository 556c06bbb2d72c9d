import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsIP,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  Length,
  MaxLength,
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

export class ClientDto {
  @IsOptional() @IsIP() ip?: string;
  @IsOptional() @IsString() @MaxLength(1024) userAgent?: string;
  @IsOptional() @IsString() @MaxLength(256) deviceId?: string;
  @IsOptional() @IsString() @MaxLength(256) sessionId?: string;
  @IsOptional() @IsString() @MaxLength(256) tokenId?: string;
}

export class TargetDto {
  @IsOptional() @IsString() @MaxLength(512) host?: string;
  @IsOptional() @IsString() @MaxLength(4096) path?: string;
  @IsOptional() @IsString() @MaxLength(16) method?: string;
  @IsOptional() @IsString() @MaxLength(512) service?: string;
  @IsOptional() @IsString() @MaxLength(253) namespace?: string;
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
