import { stringify } from 'yaml';
import type { RenderedChange, RenderedPolicy } from './policy-targets';

/** One file `ratchet policy render --out <dir>` writes: a path under the folder and its text. */
export interface ManifestFile {
  path: string;
  content: string;
}

// Renderers share objects between changes (a reference, metadata); YAML anchors would only confuse a reader.
const NO_ALIASES = { aliasDuplicateObjects: false } as const;

const header = (c: RenderedChange): string => `# ${c.target} for ${c.actionId}\n`;

/** The kubectl command that performs a change the API expresses as a patch, not as an object. */
function patchCommand(c: RenderedChange, file: string): string {
  if (c.change.kind === 'attach') {
    const t = c.change.target;
    return `kubectl patch ${t.kind.toLowerCase()} ${t.name} -n ${t.namespace} --type=json --patch-file ${file}`;
  }
  if (c.change.kind === 'status') {
    const o = c.change.object;
    return `kubectl patch ${o.kind.toLowerCase()} ${o.metadata.name} -n ${o.metadata.namespace ?? 'default'} --subresource=status --type=merge --patch-file ${file}`;
  }
  return `kubectl apply --server-side --field-manager=ratchet -f ${file}`;
}

/**
 * Rendered changes as files: owned objects as YAML to apply server-side, attachments as JSON
 * patches and status changes as status patches, each headed by the command that applies it.
 * Paths are `<target>/<kind>-<name>.yaml`, deterministic, so a re-render overwrites in place.
 */
export function manifestFiles(rendered: RenderedPolicy): ManifestFile[] {
  return rendered.changes.map((c) => {
    const change = c.change;
    if (change.kind === 'attach') {
      const t = change.target;
      const path = `${c.target}/attach-${t.kind.toLowerCase()}-${t.namespace}-${t.name}-${change.reference['name'] ?? ''}.yaml`;
      return { path, content: `${header(c)}# ${patchCommand(c, path)}\n${stringify(change.patch, NO_ALIASES)}` };
    }
    const o = change.object;
    const path = `${c.target}/${change.kind === 'status' ? 'status-' : ''}${o.kind.toLowerCase()}-${o.metadata.namespace ?? ''}-${o.metadata.name}.yaml`;
    const body = change.kind === 'status' ? { status: o.status } : o;
    return { path, content: `${header(c)}# ${patchCommand(c, path)}\n${stringify(body, NO_ALIASES)}` };
  });
}

/**
 * The same as one stream for stdout: owned objects as YAML documents (`kubectl apply
 * --server-side -f -` takes it as is); patches, which are not objects, as comments giving the command.
 */
export function formatManifests(rendered: RenderedPolicy): string {
  const docs: string[] = [];
  for (const c of rendered.changes) {
    const change = c.change;
    if (change.kind === 'owned') docs.push(`${header(c)}${stringify(change.object, NO_ALIASES)}`);
    else {
      const body = change.kind === 'attach' ? change.patch : { status: change.object.status };
      const command = patchCommand(c, '-').replace('--patch-file -', `-p '${JSON.stringify(body)}'`);
      docs.push(`${header(c)}# ${command}\n`);
    }
  }
  const refusals = rendered.refused.map((r) => `# not rendered: ${r.actionId}${r.target ? ` on ${r.target}` : ''}: ${r.reason}\n`);
  return [...docs, ...(refusals.length > 0 ? [refusals.join('')] : [])].join('---\n');
}
