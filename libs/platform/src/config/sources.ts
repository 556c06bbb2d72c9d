import { readFileSync } from 'node:fs';
import { errorCode, errorMessage } from '@ratchet/kernel';
import { compileSourceMappings, sourceCatalogue, type SourceCatalogue } from '@ratchet/sources';
import { ConfigError } from './env';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The sources a process reads: the built-in ones, and those defined in the JSON file that
 * `RATCHET_SOURCES` names (default: none). Read and compiled once, at start-up; a file that cannot
 * be read, is not JSON or breaks a rule stops start-up with a message naming the variable, the
 * file and the setting (`RATCHET_SOURCES: /etc/ratchet/sources.json: sources.myapp.fields.outcome.map: …`).
 */
export function readSourceCatalogue(env: Env): SourceCatalogue {
  const path = env['RATCHET_SOURCES']?.trim();
  if (!path) return sourceCatalogue();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError('RATCHET_SOURCES', `${path}: cannot be read (${errorCode(err)})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text) as unknown;
  } catch (err) {
    throw new ConfigError('RATCHET_SOURCES', `${path}: is not JSON (${errorMessage(err)})`);
  }
  try {
    return sourceCatalogue(compileSourceMappings(raw));
  } catch (err) {
    throw new ConfigError('RATCHET_SOURCES', `${path}: ${errorMessage(err)}`);
  }
}
