import type { RiskSignal } from '@ratchet/contracts';
import { eventSignal, type Detector } from '../detector';
import type { ThresholdWindow } from '../detector-config';
import { InvalidDetectorConfig } from '../detector-config';
import { readBoolean, readSettings, readStringList, readThresholdWindow } from '../detector-settings';
import { addressEntityOf, NO_OPS, NO_SIGNALS, thresholdConfidence } from '../event-reading';

/**
 * Paths no visitor of a web application asks for: secrets and configuration left in the web root,
 * version-control metadata, backups and dumps, server internals, and path traversal. Matched
 * against the path once percent-decoded (up to three times: `%252e%252e%252f` is `../`), lower
 * case, `\` read as `/`. An entry is a fragment found anywhere in the path; an entry starting with
 * `*` must end the path (`*.bak`).
 */
export const SENSITIVE_PATH_PATTERNS: readonly string[] = [
  // secrets and configuration
  '*/.env', '/.env.', '*/.htpasswd', '*/.htaccess', '*/web.config', '/wp-config.php', '*/.npmrc', '*/.pypirc', '*/.netrc',
  '*/.git-credentials', '*/.dockercfg', '/.docker/config.json', '/.aws/', '/.ssh/', '*/id_rsa', '*/id_ecdsa', '*/id_ed25519',
  '/.kube/config', '*.tfstate', '/sftp-config.json', '/.vscode/', '/.idea/', '*/docker-compose.yml', '/config/database.yml',
  '*/.bash_history', '*/.zsh_history', '*.key',
  // version control
  '/.git/', '*/.git', '/.svn/', '*/.svn', '/.hg/', '/.bzr/', '*/.ds_store',
  // backups and dumps
  '*.bak', '*.old', '*.orig', '*.swp', '*~', '*.sql', '*.sql.gz', '*.sqlite', '*.sqlite3', '*.db', '*.dump',
  '/backup.zip', '/backup.tar.gz', '/www.zip', '/site.zip',
  // server internals
  '*/phpinfo.php', '/server-status', '/actuator/env', '/actuator/heapdump', '/proc/self/',
  // path traversal
  '../', '/..;/', '/etc/passwd', '/etc/shadow', 'win.ini', 'boot.ini', ':/windows/',
];

/**
 * A hidden file or directory — a path segment starting with a dot (`/.bash_history`, `/.cvs/`,
 * `/app/.config`) — which no page links to and web servers refuse by convention, except the ones
 * made to be fetched: `/.well-known/` (RFC 8615: ACME, security.txt, OIDC discovery) and `/.auth/`
 * (Azure App Service and Static Web Apps sign-in). `..` is traversal, matched by the list.
 */
const HIDDEN_SEGMENT = /\/\.(?!well-known(?:\/|$)|auth(?:\/|$)|\.)[^/]/;

export interface SensitivePathParams extends ThresholdWindow {
  /** All patterns as one expression over the normalised path. */
  readonly matcher: RegExp;
  /** Hidden files and directories count too (`hiddenFiles`, default true). */
  readonly hiddenFiles: boolean;
}

/** Asking for a secret file is an attack whether or not it exists; above a probe (0.6). */
const SEVERITY = 0.8;

/**
 * An address asking for several distinct sensitive paths (`SENSITIVE_PATH_PATTERNS`, any status:
 * a `200` is worse than a `404`). Specified by CrowdSec's `http-sensitive-files` (capacity 4, leak
 * 5s), `http-path-traversal-probing` (capacity 3, leak 10s), `http-backdoors-attempts` and
 * `http-wordpress_wpconfig`: one list and one threshold here, 4 distinct paths in 1m — between
 * their bursts of 2 to 6 — so a single stray hit (a mistyped link) does not fire. Hidden files and
 * directories (`HIDDEN_SEGMENT`) are sensitive paths too: a home directory's dotfiles, an editor's
 * or a version-control system's metadata in a web root. Settings: `patterns` replaces the list,
 * `extraPatterns` adds to it, `hiddenFiles: false` leaves hidden files out.
 */
export const httpSensitivePathsDetector: Detector<SensitivePathParams> = {
  id: 'http.sensitive-paths',
  signalType: 'sensitive_path',
  summary: 'An address asked for `threshold` distinct sensitive paths (.env, .git/, backups, traversal …; `patterns`, `extraPatterns`) within `window` (defaults: 4 in 1m)',
  defaults: { threshold: 4, windowMs: 60_000, matcher: compilePathPatterns(SENSITIVE_PATH_PATTERNS), hiddenFiles: true },
  compile(raw) {
    const s = readSettings(this.id, raw, ['threshold', 'window', 'patterns', 'extraPatterns', 'hiddenFiles']);
    const patterns = readStringList(this.id, 'patterns', s['patterns'], SENSITIVE_PATH_PATTERNS);
    const extra = readStringList(this.id, 'extraPatterns', s['extraPatterns'], []);
    if (patterns.length + extra.length === 0) throw new InvalidDetectorConfig(this.id, 'patterns', 'must name at least one path (switch the detector off with false instead)');
    const tw = readThresholdWindow(this.id, s, this.defaults);
    const hiddenFiles = readBoolean(this.id, 'hiddenFiles', s['hiddenFiles'], this.defaults.hiddenFiles);
    const matcher = s['patterns'] === undefined && extra.length === 0 ? this.defaults.matcher : compilePathPatterns([...patterns, ...extra]);
    return { ...tw, matcher, hiddenFiles };
  },
  plan(event, p) {
    if (event.plane !== 'north-south') return NO_OPS;
    const ip = event.client?.ip;
    const path = event.target?.path;
    if (ip === undefined || path === undefined) return NO_OPS;
    const normalised = normalisePath(path);
    if (matchOf(normalised, p) === undefined) return NO_OPS;
    return [{ kind: 'window.distinct', key: 'http-sensitive:ip', of: ip, member: `${event.target?.host ?? ''}${normalised}`, at: event.ts, windowMs: p.windowMs }];
  },
  detect(event, [paths], p): RiskSignal[] {
    if (typeof paths !== 'number' || paths < p.threshold) return NO_SIGNALS;
    const entity = addressEntityOf(event);
    if (entity === undefined) return NO_SIGNALS;
    const matched = matchOf(normalisePath(event.target?.path ?? ''), p) ?? '';
    return [
      eventSignal(this, event, entity, SEVERITY, thresholdConfidence(paths, p.threshold), {
        distinctPaths: paths,
        threshold: p.threshold,
        windowMs: p.windowMs,
        matched,
      }),
    ];
  },
};

/** What in a normalised path makes it sensitive: a listed pattern, else a hidden segment; undefined when nothing does. */
function matchOf(normalised: string, p: SensitivePathParams): string | undefined {
  const listed = p.matcher.exec(normalised)?.[0];
  if (listed !== undefined) return listed;
  return p.hiddenFiles ? HIDDEN_SEGMENT.exec(normalised)?.[0] : undefined;
}

/** One regular expression for all patterns (lower case): a fragment anywhere, a `*suffix` at the end. */
export function compilePathPatterns(patterns: readonly string[]): RegExp {
  const escape = (s: string): string => s.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(patterns.map((p) => (p.startsWith('*') ? `${escape(p.slice(1))}$` : escape(p))).join('|'));
}

/** Percent-decoded (at most three rounds, stopping at malformed escapes), lower case, `\` as `/`. */
export function normalisePath(path: string): string {
  let decoded = path;
  for (let round = 0; round < 3 && decoded.includes('%'); round++) {
    try {
      decoded = decodeURIComponent(decoded);
    } catch {
      break;
    }
  }
  decoded = decoded.toLowerCase();
  return decoded.includes('\\') ? decoded.replaceAll('\\', '/') : decoded;
}
