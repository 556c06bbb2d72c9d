import { join } from 'node:path';
import { isActionKind, type ActionKind, type ActionParams, type EnforcementMode } from '@ratchet/contracts';
import { AppError, parseDuration } from '@ratchet/kernel';
import { parseAllDocuments } from 'yaml';
import { compileActionParams } from './action-catalogue';
import { compileCondition, type Condition } from './chain-condition';

export const CHAIN_API_VERSION = 'ratchet.dev/v1';

/**
 * A chain as an operator writes it (YAML or JSON): when `match` holds for a score update, the
 * highest step whose `if` holds decides; steps are written lowest first and escalate.
 */
export interface ChainDocument {
  apiVersion: typeof CHAIN_API_VERSION;
  kind: 'Chain';
  metadata: { name: string; description?: string };
  spec: {
    /** CEL over `signal`, `score`, `entity`, `level`. */
    match: string;
    steps: ReadonlyArray<{ if: string; then: ReadonlyArray<ActionSpec> }>;
    /** Revert the chain's actions on an entity once its score stays below `below` for `for`. Default: never (actions run their TTL). */
    relax?: { below: number; for: string | number };
    /** Minimum time between two escalations of this chain for one entity. Default: 0. */
    cooldown?: string | number;
    /** Default: enforce. */
    mode?: EnforcementMode;
  };
}

/** `{ action, ttl, ...params }`: the parameters are the action's own (see ACTION_CATALOGUE). */
export interface ActionSpec {
  action: string;
  ttl: string | number;
  [param: string]: unknown;
}

export interface CompiledAction {
  action: ActionKind;
  ttlMs: number;
  params?: ActionParams;
}

export interface CompiledStep {
  /** Position in the chain as written: the escalation order. */
  index: number;
  condition: Condition;
  then: readonly CompiledAction[];
}

export interface CompiledChain {
  name: string;
  description?: string;
  match: Condition;
  /** In written order, lowest first. */
  steps: readonly CompiledStep[];
  relax?: { below: number; forMs: number };
  cooldownMs: number;
  mode: EnforcementMode;
  /** The document as loaded, for `GET /v1/chains`. */
  document: ChainDocument;
}

export class InvalidChain extends AppError {
  constructor(chain: string, field: string, problem: string) {
    super('CHAINS.INVALID_CHAIN', `chain ${chain}: ${field}: ${problem}`);
  }
}

/** A chain file that is not YAML/JSON at all; the message names the file and the line. */
export class InvalidChainFile extends AppError {
  constructor(file: string, problem: string) {
    super('CHAINS.INVALID_FILE', `${file}: ${problem}`);
  }
}

/**
 * The default chains shipped with Ratchet (credential attacks, account takeover, east-west,
 * control plane), documented in docs/chains.md. A path, not the chains: reading it is the
 * loader's job, this library does no I/O.
 */
export const DEFAULT_CHAINS_FILE = join(__dirname, 'default-chains.yaml');

/**
 * The chain documents in a file's text: a YAML stream (`---` between documents) or JSON (one
 * document or an array of them). Empty documents are skipped. Throws InvalidChainFile.
 */
export function parseChainDocuments(text: string, file: string): unknown[] {
  const documents = parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true });
  if (!Array.isArray(documents)) return [];
  const found: unknown[] = [];
  for (const doc of documents) {
    const [error] = doc.errors;
    if (error) {
      const at = error.linePos?.[0];
      throw new InvalidChainFile(file, `${at ? `line ${at.line} column ${at.col}: ` : ''}is not YAML or JSON: ${error.message.split('\n')[0] ?? ''}`);
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (Array.isArray(value)) found.push(...(value as unknown[]));
    else found.push(value);
  }
  return found;
}

/**
 * Validates and compiles chain documents once, at load: every CEL expression compiled and
 * type-checked, every action and parameter checked against the catalogue. Throws InvalidChain
 * naming the chain (its position when it has no name), the field and the expression.
 */
export function compileChains(documents: readonly unknown[]): CompiledChain[] {
  const names = new Set<string>();
  return documents.map((raw, i) => {
    const doc = asRecord(raw);
    const metadata = asRecord(doc?.['metadata']);
    const rawName = metadata?.['name'];
    const name = typeof rawName === 'string' && rawName.trim() !== '' ? rawName : `#${i}`;
    const refuse = (field: string, problem: string): never => {
      throw new InvalidChain(name, field, problem);
    };
    if (!doc) return refuse('document', 'must be a Chain document (apiVersion, kind, metadata, spec)');
    if (doc['apiVersion'] !== CHAIN_API_VERSION) refuse('apiVersion', `must be ${CHAIN_API_VERSION}`);
    if (doc['kind'] !== 'Chain') refuse('kind', 'must be Chain');
    if (name.startsWith('#')) refuse('metadata.name', 'must name the chain');
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(name)) refuse('metadata.name', 'must be lower-case letters, digits and dashes (at most 63)');
    if (names.has(name)) refuse('metadata.name', 'is used by another chain');
    names.add(name);
    const spec = asRecord(doc['spec']) ?? refuse('spec', 'must be an object with match and steps');
    const match = compileCondition(spec['match']);
    if ('problem' in match) return refuse('match', match.problem);
    const rawSteps = spec['steps'];
    if (!Array.isArray(rawSteps) || rawSteps.length === 0) return refuse('steps', 'must list at least one step');
    const steps = rawSteps.map((rawStep: unknown, s): CompiledStep => {
      const step = asRecord(rawStep) ?? refuse(`steps[${s}]`, 'must be an object with if and then');
      const condition = compileCondition(step['if']);
      if ('problem' in condition) return refuse(`steps[${s}].if`, condition.problem);
      const then = step['then'];
      if (!Array.isArray(then) || then.length === 0) return refuse(`steps[${s}].then`, 'must list at least one action');
      const kinds = new Set<string>();
      const actions = then.map((rawAction: unknown, k) => {
        const field = `steps[${s}].then[${k}]`;
        const compiled = compileAction(rawAction, field, refuse);
        if (kinds.has(compiled.action)) refuse(`${field}.action`, `${compiled.action} is already in this step`);
        kinds.add(compiled.action);
        return compiled;
      });
      return { index: s, condition, then: actions };
    });
    const mode = spec['mode'] ?? 'enforce';
    if (mode !== 'enforce' && mode !== 'shadow') refuse('mode', 'must be enforce or shadow');
    const description = metadata?.['description'];
    return {
      name,
      ...(typeof description === 'string' ? { description } : {}),
      match,
      steps,
      ...compileRelax(spec['relax'], refuse),
      cooldownMs: spec['cooldown'] === undefined ? 0 : duration(spec['cooldown'], 'cooldown', refuse),
      mode: mode as EnforcementMode,
      document: raw as ChainDocument,
    };
  });
}

function compileAction(raw: unknown, field: string, refuse: (field: string, problem: string) => never): CompiledAction {
  const spec = asRecord(raw) ?? refuse(field, 'must be an object such as { action: ingress.deny, ttl: 15m }');
  const { action, ttl, ...rest } = spec;
  if (!isActionKind(action)) return refuse(`${field}.action`, `"${String(action)}" is not an action (see the action catalogue)`);
  if (ttl === undefined) refuse(`${field}.ttl`, 'is required: how long the action lasts, such as 15m');
  const ttlMs = duration(ttl, `${field}.ttl`, refuse);
  if (ttlMs <= 0) refuse(`${field}.ttl`, 'must be longer than zero');
  const { params, problem } = compileActionParams(action, rest);
  if (problem) refuse(`${field}.${problem.field}`, problem.message);
  return { action, ttlMs, ...(params ? { params } : {}) };
}

function compileRelax(raw: unknown, refuse: (field: string, problem: string) => never): { relax?: { below: number; forMs: number } } {
  if (raw === undefined) return {};
  const relax = asRecord(raw) ?? refuse('relax', 'must be { below: <score>, for: <duration> }');
  const below = relax['below'];
  if (typeof below !== 'number' || !(below > 0 && below <= 100)) refuse('relax.below', 'must be a score above 0 and at most 100');
  const forMs = duration(relax['for'], 'relax.for', refuse);
  if (forMs <= 0) refuse('relax.for', 'must be longer than zero');
  return { relax: { below: below, forMs } };
}

function duration(raw: unknown, field: string, refuse: (field: string, problem: string) => never): number {
  if (typeof raw !== 'string' && typeof raw !== 'number') return refuse(field, 'must be a duration such as 15m');
  try {
    return parseDuration(raw);
  } catch {
    return refuse(field, `"${raw}" is not a duration such as 15m`);
  }
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
