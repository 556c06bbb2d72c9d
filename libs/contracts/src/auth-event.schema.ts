import 'reflect-metadata';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { validationMetadatasToSchemas } from 'class-validator-jsonschema';
import { AuthEventDto } from './auth-event.dto';

type JsonSchema = Record<string, unknown>;

/**
 * Derives the JSON Schema of `AuthEvent` from the class-validator decorators, so the DTO stays the
 * single source of truth. Two converters fix class-validator-jsonschema's defaults: `@IsIP()`
 * without a version means IPv4 *or* IPv6, and event time must carry a time and an offset.
 * Every object is closed: an unknown field is an error that names it, not a silent drop.
 */
export function deriveAuthEventSchema(): JsonSchema {
  const definitions = validationMetadatasToSchemas({
    refPointerPrefix: '#/definitions/',
    additionalConverters: {
      isIp: { anyOf: [{ format: 'ipv4' }, { format: 'ipv6' }], type: 'string' },
      isIso8601: { format: 'date-time', type: 'string' },
    },
  }) as Record<string, JsonSchema>;
  for (const schema of Object.values(definitions)) schema['additionalProperties'] = false;
  const root = definitions[AuthEventDto.name];
  if (!root) throw new Error('AuthEventDto carries no validation metadata');
  return { ...root, definitions };
}

/** A field path the way an operator writes it: `client.ip`, `principal.type`. */
function fieldOf(error: ErrorObject): string {
  const path = error.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty: string }).missingProperty;
    return path ? `${path}.${missing}` : missing;
  }
  if (error.keyword === 'additionalProperties') {
    const extra = (error.params as { additionalProperty: string }).additionalProperty;
    return path ? `${path}.${extra}` : extra;
  }
  return path || '(event)';
}

function describe(error: ErrorObject): string {
  switch (error.keyword) {
    case 'required':
      return `${fieldOf(error)}: is required`;
    case 'additionalProperties':
      return `${fieldOf(error)}: is not a field of AuthEvent`;
    case 'enum':
      return `${fieldOf(error)}: must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
    case 'anyOf':
      return `${fieldOf(error)}: must be an IPv4 or IPv6 address`;
    case 'format':
      return `${fieldOf(error)}: must be ${(error.params as { format: string }).format === 'date-time' ? 'an ISO-8601 date-time with offset' : `a valid ${(error.params as { format: string }).format}`}`;
    default:
      return `${fieldOf(error)}: ${error.message ?? 'is invalid'}`;
  }
}

export type SchemaCheck = (input: unknown) => string[] | undefined;

/** Compiles the derived schema once; the returned check costs about a microsecond per event. */
export function compileAuthEventCheck(): SchemaCheck {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv, ['date-time', 'ipv4', 'ipv6']);
  const validate: ValidateFunction = ajv.compile(deriveAuthEventSchema());
  return (input) => {
    if (validate(input)) return undefined;
    // `anyOf` reports each branch too; keep one line per field.
    const errors = (validate.errors ?? []).filter((e) => !(e.keyword === 'format' && e.schemaPath.includes('anyOf')));
    return [...new Set(errors.map(describe))];
  };
}
