import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { readEnforcementAction, type EnforcementAction } from '@ratchet/contracts';
import type { DecisionView } from '@ratchet/enforcer';
import {
  compilePolicyTargets,
  formatManifests,
  manifestFiles,
  POLICY_TARGETS,
  renderPolicy,
  validateManifest,
  type PolicySettings,
  type PolicyTarget,
  type RenderedPolicy,
} from '@ratchet/policy';
import { readLines } from './line-reader';

export const POLICY_USAGE = `usage: ratchet policy render [--target t1,t2] [--out DIR | -] [--decisions FILE | --url http://127.0.0.1:8080]
  writes the Kubernetes objects the decisions in force ask for, without touching a cluster
  --target     targets to render on (default RATCHET_POLICY_TARGETS, else every target that renders something):
               ${POLICY_TARGETS.map((t) => t.name).join(', ')}
  --out        a folder (one file per object or patch, <target>/<kind>-<namespace>-<name>.yaml) or - for stdout (default)
  --decisions  a file of EnforcementAction JSON lines (as on enforcement.actions); default: GET <url>/v1/decisions
  placement (namespaces, VirtualServers, the Istio gateway) comes from RATCHET_POLICY_* as for the enforcer`;

export interface PolicyRenderOptions {
  targets: PolicyTarget[];
  out: string;
  source: { file: string } | { url: string };
}

/** Parses `ratchet policy render …`; throws a usage error naming the problem. */
export function parsePolicyArgs(args: readonly string[], configured: readonly PolicyTarget[], defaultUrl: string): PolicyRenderOptions {
  const [verb, ...rest] = args;
  if (verb !== 'render') throw new Error(`${verb === undefined ? 'name a command' : `"${verb}" is not a policy command`}\n${POLICY_USAGE}`);
  let targets = configured.length > 0 ? [...configured] : POLICY_TARGETS.filter((t) => t.actions.length > 0);
  let out = '-';
  let source: PolicyRenderOptions['source'] | undefined;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] as string;
    const value = (): string => {
      const next = rest[++i];
      if (next === undefined) throw new Error(`${arg} needs a value\n${POLICY_USAGE}`);
      return next;
    };
    if (arg === '--target') targets = compilePolicyTargets(value(), '--target');
    else if (arg === '--out') out = value();
    else if (arg === '--decisions' || arg === '--url') {
      if (source !== undefined) throw new Error(`give --decisions or --url, once\n${POLICY_USAGE}`);
      source = arg === '--url' ? { url: value() } : { file: resolve(value()) };
    } else throw new Error(`unknown option ${arg}\n${POLICY_USAGE}`);
  }
  return { targets, out: out === '-' ? out : resolve(out), source: source ?? { url: defaultUrl } };
}

export interface PolicyRenderResult {
  rendered: RenderedPolicy;
  /** Decision lines that could not be read, and objects that fail their schema: `where: problem`. */
  problems: string[];
  /** Decisions left out because they had expired. */
  expired: number;
  /** Files written when `out` is a folder. */
  written: string[];
  /** The manifest stream when `out` is `-`. */
  stdout: string;
}

/** `ratchet policy render`: reads the decisions, keeps those in force at `now`, renders, writes. */
export async function runPolicyRender(options: PolicyRenderOptions, settings: PolicySettings, now: number): Promise<PolicyRenderResult> {
  const problems: string[] = [];
  const decisions = 'file' in options.source ? await readDecisionFile(options.source.file, problems) : await fetchDecisions(options.source.url);
  const active = decisions.filter((d) => d.expiresAt > now);
  const rendered = renderPolicy(active, options.targets, settings);
  for (const { change, target } of rendered.changes) {
    if (change.kind === 'attach') continue;
    for (const problem of validateManifest(change.object)) problems.push(`${target} ${change.object.kind} ${change.object.metadata.name}: ${problem}`);
  }
  const result: PolicyRenderResult = { rendered, problems, expired: decisions.length - active.length, written: [], stdout: '' };
  if (options.out === '-') result.stdout = formatManifests(rendered);
  else {
    for (const file of manifestFiles(rendered)) {
      const path = join(options.out, file.path);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, file.content);
      result.written.push(path);
    }
  }
  return result;
}

async function readDecisionFile(file: string, problems: string[]): Promise<EnforcementAction[]> {
  const decisions: EnforcementAction[] = [];
  let n = 0;
  for await (const line of readLines(file, { follow: false })) {
    n++;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      problems.push(`${file} line ${n}: not JSON`);
      continue;
    }
    const decision = readEnforcementAction(value);
    if (typeof decision === 'string') problems.push(`${file} line ${n}: ${decision}`);
    else decisions.push(decision);
  }
  return decisions;
}

async function fetchDecisions(url: string): Promise<EnforcementAction[]> {
  const endpoint = `${url.replace(/\/$/, '')}/v1/decisions`;
  const response = await fetch(endpoint);
  if (!response.ok) throw new Error(`GET ${endpoint}: HTTP ${response.status}`);
  const body = (await response.json()) as { decisions?: DecisionView[] };
  const decisions: EnforcementAction[] = [];
  for (const view of body.decisions ?? []) {
    const decidedAt = Date.parse(view.decidedAt);
    const expiresAt = Date.parse(view.expiresAt);
    const decision = readEnforcementAction({ ...view, v: 1, state: 'applied', decidedAt, expiresAt, ttlMs: expiresAt - decidedAt });
    if (typeof decision === 'string') throw new Error(`GET ${endpoint}: decision ${view.id}: ${decision}`);
    decisions.push(decision);
  }
  return decisions;
}
