import { readFileSync } from 'node:fs';
import { BlockList } from 'node:net';
import { join, resolve } from 'node:path';
import { compileAddressIntel, parsePlainList, type AddressIntel, type Feed } from '@ratchet/detection';
import { collectGarbage, seededRandom } from '@ratchet/testing';
import type { BenchPart } from './lib/context';
import { atLeast, formatNumber, mib, progress, renderPart, type PartReport } from './lib/report';

const LOOKUPS = 1_000_000;
const WARM_UP_LOOKUPS = 200_000;
const IPV6_LOOKUPS = 200_000;
/** Distinct addresses the lookups cycle through, half on a list and half not (a power of two). */
const QUERY_SET = 1 << 16;
/** net.BlockList checks every rule in turn: it gets this long, not a million lookups. */
const BLOCKLIST_BUDGET_MS = 2_000;
const TARGET_LOOKUPS_PER_S = 1_000_000;

/** Where the shared datasets sit: beside the repository. */
const datasetsOf = (root: string): string => join(root, '..', 'shared', 'datasets', 'threat-intel');

export const intelBench: BenchPart = {
  name: 'intel',
  summary: `address intel: ${formatNumber(LOOKUPS)} lookups over ipsum + a Tor exit list, against net.BlockList`,
  run: (context) => measureIntel(context.root),
};

/** Runs the part on its own and prints its figures: `node -r @swc-node/register bench/intel.bench.ts`. */
export async function runIntelBench(): Promise<void> {
  console.log(renderPart(await measureIntel(resolve(__dirname, '..'))));
}

async function measureIntel(root: string): Promise<PartReport> {
  const datasets = datasetsOf(root);
  progress(`intel: reading ${datasets}`);
  const texts = { ipsum: readFileSync(join(datasets, 'ipsum.txt'), 'utf8'), tor: readFileSync(join(datasets, 'tor-exit-2024-08.txt'), 'utf8') };

  let started = performance.now();
  const feeds: Feed[] = [parsePlainList(texts.ipsum, { name: 'ipsum' }).feed, parsePlainList(texts.tor, { name: 'tor-exits', labels: ['tor'] }).feed];
  const parseMs = performance.now() - started;
  const lines = feeds.reduce((n, f) => n + f.entries.length, 0);

  collectGarbage();
  const heapBefore = process.memoryUsage().heapUsed;
  started = performance.now();
  const intel = compileAddressIntel(feeds);
  const compileMs = performance.now() - started;
  collectGarbage();
  const intelHeap = process.memoryUsage().heapUsed - heapBefore;

  const queries = queriesFor(feeds);
  progress(`intel: ${formatNumber(LOOKUPS)} lookups over ${formatNumber(intel.size)} indicators`);
  const { perSecond, hits } = timeLookups(intel, queries, LOOKUPS);

  const ipv6 = measureIpv6(feeds);

  progress(`intel: net.BlockList, for up to ${BLOCKLIST_BUDGET_MS / 1_000} s`);
  started = performance.now();
  const blockList = new BlockList();
  for (const feed of feeds) for (const entry of feed.entries) blockList.addAddress(entry.indicator, 'ipv4');
  const blockListCompileMs = performance.now() - started;
  const blockListRun = timeBlockList(blockList, queries);

  return {
    part: 'intel',
    figures: [
      { name: 'parse ipsum + Tor exit list', value: parseMs, unit: 'ms', digits: 1, note: `${formatNumber(lines)} entries` },
      { name: 'compile', value: compileMs, unit: 'ms', digits: 1, note: `${formatNumber(intel.size)} distinct indicators` },
      { name: 'compiled intel, heap', value: mib(intelHeap), unit: 'MiB', digits: 1, note: 'heapUsed after GC, minus before' },
      {
        name: 'lookups, IPv4',
        value: perSecond,
        unit: 'lookups/s',
        target: atLeast(TARGET_LOOKUPS_PER_S),
        note: `${formatNumber(LOOKUPS)} lookups, ${((100 * hits) / LOOKUPS).toFixed(1)}% hits`,
      },
      { name: 'lookups, IPv6', value: ipv6.perSecond, unit: 'lookups/s', note: ipv6.note },
      { name: 'net.BlockList: build', value: blockListCompileMs, unit: 'ms', digits: 1, note: 'one addAddress per entry; its rules live outside the JS heap' },
      {
        name: 'net.BlockList: lookups',
        value: blockListRun.perSecond,
        unit: 'lookups/s',
        digits: 1,
        note: `${formatNumber(blockListRun.lookups)} lookups in ${(blockListRun.ms / 1_000).toFixed(1)} s; ${(perSecond / blockListRun.perSecond).toFixed(0)}× slower`,
      },
    ],
    notes: [
      `lookups cycle through ${formatNumber(QUERY_SET)} distinct dotted-quad strings made beforehand, half drawn from the lists and half random addresses; one core, no batching`,
      'net.BlockList checks its rules one after another, so its time grows with the list: it is timed on the same queries for a fixed budget instead of a million lookups',
      `IPv6: the real lists hold none; measured on the same intel plus ${formatNumber(IPV6_NETWORKS)} synthetic /48 and /64 networks and as many addresses, half hits`,
    ],
  };
}

/** Half addresses on the lists, half random ones (practically never on them), shuffled. */
function queriesFor(feeds: readonly Feed[]): string[] {
  const listed = feeds.flatMap((f) => f.entries.map((e) => e.indicator));
  const next = seededRandom(42);
  const queries: string[] = [];
  for (let i = 0; i < QUERY_SET; i++) {
    if (i % 2 === 0) queries.push(listed[Math.floor(next() * listed.length)] as string);
    else queries.push([0, 0, 0, 0].map(() => Math.floor(next() * 256)).join('.'));
  }
  for (let i = queries.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [queries[i], queries[j]] = [queries[j] as string, queries[i] as string];
  }
  return queries;
}

function timeLookups(intel: AddressIntel, queries: readonly string[], count: number): { perSecond: number; hits: number } {
  const mask = queries.length - 1;
  let hits = 0;
  for (let i = 0; i < WARM_UP_LOOKUPS; i++) if (intel.lookup(queries[i & mask] as string)) hits++;
  hits = 0;
  const started = performance.now();
  for (let i = 0; i < count; i++) if (intel.lookup(queries[i & mask] as string)) hits++;
  const ms = performance.now() - started;
  return { perSecond: (count / ms) * 1_000, hits };
}

function timeBlockList(blockList: BlockList, queries: readonly string[]): { perSecond: number; lookups: number; ms: number } {
  const started = performance.now();
  let lookups = 0;
  let ms = 0;
  let hits = 0;
  while (lookups < LOOKUPS && ms < BLOCKLIST_BUDGET_MS) {
    if (blockList.check(queries[lookups % queries.length] as string, 'ipv4')) hits++;
    lookups++;
    ms = performance.now() - started;
  }
  if (hits < 0) throw new Error('unreachable: keeps the checks from being optimised away');
  return { perSecond: (lookups / ms) * 1_000, lookups, ms };
}

const IPV6_NETWORKS = 1_000;

function measureIpv6(feeds: readonly Feed[]): { perSecond: number; note: string } {
  const next = seededRandom(6);
  const hex = (): string => Math.floor(next() * 65_536).toString(16);
  const entries = Array.from({ length: IPV6_NETWORKS }, (_, i) => ({
    indicator: i % 2 === 0 ? `2001:db8:${hex()}::/48` : `2001:db8:${hex()}:${hex()}::/64`,
    confidence: 0.5,
  }));
  const addresses = Array.from({ length: IPV6_NETWORKS }, () => ({ indicator: `2001:db8:${hex()}:${hex()}::${hex()}`, confidence: 1 }));
  const intel = compileAddressIntel([...feeds, { name: 'synthetic-v6', entries: [...entries, ...addresses] }]);
  const queries = Array.from({ length: 1 << 12 }, (_, i) =>
    i % 2 === 0 ? (addresses[Math.floor(next() * addresses.length)]?.indicator as string) : `2001:db8:${hex()}:${hex()}:${hex()}::${hex()}`,
  );
  const { perSecond, hits } = timeLookups(intel, queries, IPV6_LOOKUPS);
  return { perSecond, note: `${formatNumber(IPV6_LOOKUPS)} lookups, ${((100 * hits) / IPV6_LOOKUPS).toFixed(1)}% hits; each goes through canonicalAddress (URL parsing)` };
}

if (require.main === module) {
  runIntelBench().catch((err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  });
}
