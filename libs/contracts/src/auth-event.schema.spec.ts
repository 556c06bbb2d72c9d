import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { AuthEventDto } from './auth-event.dto';
import { compileAuthEventAdmission } from './auth-event.normalize';
import { deriveAuthEventSchema } from './auth-event.schema';
import { INVALID_EVENTS, PARITY_EXCEPTIONS, VALID_EVENTS } from './fixtures/auth-event-corpus';

type Verdict = 'admits' | 'refuses';

const admit = compileAuthEventAdmission();
const compiledVerdict = (input: unknown): Verdict => (admit(input, { observedAt: 0 }).ok ? 'admits' : 'refuses');

/**
 * class-validator as a Nest ValidationPipe would run it. `whitelist` + `forbidNonWhitelisted`
 * because the derived schema closes every object; without them class-validator admits unknown
 * fields and the two could not agree on those.
 */
function classValidatorVerdict(input: unknown): Verdict {
  const instance: unknown = plainToInstance(AuthEventDto, input);
  // validateSync dereferences its argument; null and undefined are refusals, not crashes.
  if (instance === null || instance === undefined) return 'refuses';
  const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true });
  return errors.length === 0 ? 'admits' : 'refuses';
}

/** Every schema in the derived document that describes an object (not one that refers to it), with where it sits. */
function objectSchemas(node: unknown, path: string, found: Array<[string, Record<string, unknown>]> = []) {
  if (node === null || typeof node !== 'object') return found;
  const schema = node as Record<string, unknown>;
  if ('properties' in schema || (schema['type'] === 'object' && !('$ref' in schema))) found.push([path, schema]);
  for (const [key, child] of Object.entries(schema)) objectSchemas(child, `${path}/${key}`, found);
  return found;
}

describe('deriveAuthEventSchema', () => {
  const schema = deriveAuthEventSchema();

  it('closes every object, so an unknown field is refused rather than dropped', () => {
    const objects = objectSchemas(schema, '#');
    assert.ok(objects.length >= 6, `found only ${objects.map(([p]) => p).join(', ')}`);
    for (const [path, object] of objects) assert.equal(object['additionalProperties'], false, `${path} is open`);
  });

  it('describes every nested DTO of the event', () => {
    const definitions = schema['definitions'] as Record<string, unknown>;
    for (const name of ['EventSourceDto', 'PrincipalDto', 'ClientDto', 'TargetDto', 'AuthDetailsDto']) {
      assert.ok(definitions[name], `no definition for ${name}`);
    }
  });

  it('requires exactly the fields the DTO does not mark optional', () => {
    assert.deepEqual([...(schema['required'] as string[])].sort(), ['action', 'outcome', 'plane', 'source', 'time']);
  });

  it('requires event time as a date-time and the client address as IPv4 or IPv6', () => {
    const properties = schema['properties'] as Record<string, Record<string, unknown>>;
    assert.equal(properties['time']?.['format'], 'date-time');
    const client = (schema['definitions'] as Record<string, Record<string, Record<string, Record<string, unknown>>>>)['ClientDto'];
    assert.deepEqual(client?.['properties']?.['ip']?.['anyOf'], [{ format: 'ipv4' }, { format: 'ipv6' }]);
  });
});

describe('compiled validator and class-validator', () => {
  for (const { name, input } of VALID_EVENTS) {
    it(`both admit ${name}`, () => {
      assert.deepEqual({ compiled: compiledVerdict(input), classValidator: classValidatorVerdict(input) }, { compiled: 'admits', classValidator: 'admits' });
    });
  }

  for (const { rule, input } of INVALID_EVENTS) {
    it(`both refuse an event that breaks "${rule}"`, () => {
      assert.deepEqual({ compiled: compiledVerdict(input), classValidator: classValidatorVerdict(input) }, { compiled: 'refuses', classValidator: 'refuses' });
    });
  }

  it('both refuse null', () => {
    assert.deepEqual({ compiled: compiledVerdict(null), classValidator: classValidatorVerdict(null) }, { compiled: 'refuses', classValidator: 'refuses' });
  });

  // The documented exceptions: if one of these starts to agree, drop it from the fixture.
  for (const { name, input, compiled, classValidator, why } of PARITY_EXCEPTIONS) {
    it(`differ, as documented, on ${name}`, () => {
      assert.deepEqual({ compiled: compiledVerdict(input), classValidator: classValidatorVerdict(input) }, { compiled, classValidator }, why);
    });
  }

  it('differ only where the compiled validator is stricter about time, addresses or nulls, or reads RFC 3339 more fully', () => {
    const laxer = PARITY_EXCEPTIONS.filter((e) => e.compiled === 'admits').map((e) => e.name);
    assert.deepEqual(laxer, ['a lower-case date-time separator and zone']);
  });
});
