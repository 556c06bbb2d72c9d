import { AppError } from '@ratchet/kernel';
import { parseDocument } from 'yaml';

/** A dataset that cannot be read as its publisher ships it: the only reason `ratchet eval` fails. */
export class UnreadableDataset extends AppError {
  constructor(path: string, problem: string) {
    super('EVALUATION.UNREADABLE_DATASET', `${path}: ${problem}`);
  }
}

/**
 * YAML as the peers write it. Custom tags (Falco's `!mux`) are kept as the plain map or list they
 * tag. Throws UnreadableDataset naming the file and the first syntax error.
 */
export function readYaml(path: string, text: string): unknown {
  const doc = parseDocument(text);
  const first = doc.errors[0];
  if (first) throw new UnreadableDataset(path, `not YAML: ${first.message.split('\n')[0] ?? ''}`);
  return doc.toJSON() as unknown;
}

/** The file's text, or UnreadableDataset naming it when it is missing. */
export function requireFile(read: (path: string) => string | undefined, path: string): string {
  const text = read(path);
  if (text === undefined) throw new UnreadableDataset(path, 'not found');
  return text;
}

/** A JSON object from a dataset, or UnreadableDataset naming where and the field (`failJSON: not JSON`). */
export function readJsonObject(text: string, where: string, field = ''): Record<string, unknown> {
  const prefix = field === '' ? '' : `${field}: `;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UnreadableDataset(where, `${prefix}not JSON`);
  }
  if (!isRecord(value)) throw new UnreadableDataset(where, `${prefix}must be a JSON object`);
  return value;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
