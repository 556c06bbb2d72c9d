import type { AuthEvent, RiskSignal } from '@ratchet/contracts';
import { escapeRegExp } from '@ratchet/kernel';
import { eventSignal, type Detector } from '../detector';
import {
  booleanSetting,
  compileSettings,
  InvalidDetectorConfig,
  statusListSetting,
  stringListSetting,
  THRESHOLD_WINDOW_SETTINGS,
  wholeNumberSetting,
  type SettingReader,
  type ThresholdWindow,
} from '../detector-config';
import { addressEntityOf, httpStatusOf, NO_OPS, NO_SIGNALS, thresholdConfidence } from '../event-reading';

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
 * Well-known admin and management interfaces of products a site may or may not run: database
 * consoles, CMS back offices, application servers, VPN and appliance portals. Same pattern
 * language as `SENSITIVE_PATH_PATTERNS`. A site's own admin interface is used by its admins, so
 * these count only when the site refuses them (`adminStatuses`: it does not serve that product, or
 * not to this client), and per interface, not per path (an admin browsing their own console hits one).
 */
export const ADMIN_INTERFACE_PATTERNS: readonly string[] = [
  // database consoles
  '/phpmyadmin', '/pma/', '/myadmin/', '/mysqladmin/', '/sqladmin/', '/dbadmin/', '/phppgadmin', '/pgadmin', '/adminer', '/mongo-express',
  // CMS and shop back offices
  '/administrator/', '/wp-admin', '/admin/', '*/admin', '/admin.php', '/typo3/', '/user/login', '/bitrix/admin/', '/siteadmin', '/webadmin',
  // application servers and consoles
  '/manager/html', '/host-manager/', '/jmx-console', '/web-console', '/invoker/', '/console/login/', '/solr/admin', '/jenkins/', '/hudson',
  '/axis2-admin', '/nacos/', '/druid/index.html', '/actuator/', '/_plugin/', '/app/kibana',
  // VPN, firewall and appliance portals
  '/+cscoe+/', '/remote/login', '/dana-na/', '/global-protect/', '/vpn/index.html', '/boaform/admin', '/hnap1', '/cgi-bin/luci', '/webfig/',
  // hosting panels
  '/cpanel', '/whm', '/plesk', '/login_up.php', '/directadmin', '/webmin',
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
  /** `ADMIN_INTERFACE_PATTERNS` (`adminInterfaces` replaces, `extraAdminInterfaces` adds); undefined when the list is emptied. */
  readonly adminMatcher: RegExp | undefined;
  /** Statuses that say the site does not serve an admin interface to this client (`adminStatuses`, default 401, 403, 404). */
  readonly adminStatuses: ReadonlySet<number>;
  /** Distinct refused admin interfaces within `window` that fire on their own (`adminThreshold`, default 3). */
  readonly adminThreshold: number;
}

/** The settings as operators write them; the lists become `SensitivePathParams`' matchers. */
interface SensitivePathSettings extends ThresholdWindow {
  patterns: readonly string[];
  extraPatterns: readonly string[];
  hiddenFiles: boolean;
  adminInterfaces: readonly string[];
  extraAdminInterfaces: readonly string[];
  adminStatuses: ReadonlySet<number>;
  adminThreshold: number;
}

const DEFAULT_SETTINGS: SensitivePathSettings = {
  threshold: 4,
  windowMs: 60_000,
  patterns: SENSITIVE_PATH_PATTERNS,
  extraPatterns: [],
  hiddenFiles: true,
  adminInterfaces: ADMIN_INTERFACE_PATTERNS,
  extraAdminInterfaces: [],
  adminStatuses: new Set([401, 403, 404]),
  adminThreshold: 3,
};

const READERS: Readonly<Record<string, SettingReader<SensitivePathSettings>>> = {
  ...THRESHOLD_WINDOW_SETTINGS,
  patterns: stringListSetting('patterns'),
  extraPatterns: stringListSetting('extraPatterns'),
  hiddenFiles: booleanSetting('hiddenFiles'),
  adminInterfaces: stringListSetting('adminInterfaces'),
  extraAdminInterfaces: stringListSetting('extraAdminInterfaces'),
  adminStatuses: statusListSetting('adminStatuses'),
  adminThreshold: wholeNumberSetting('adminThreshold'),
};

/** The pattern lists compiled into one expression each; an emptied admin list leaves admin interfaces out. */
function paramsOf({ patterns, extraPatterns, adminInterfaces, extraAdminInterfaces, ...rest }: SensitivePathSettings): SensitivePathParams {
  const admin = [...adminInterfaces, ...extraAdminInterfaces];
  return { ...rest, matcher: compilePathPatterns([...patterns, ...extraPatterns]), adminMatcher: admin.length === 0 ? undefined : compilePathPatterns(admin) };
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
 *
 * Admin interfaces (`ADMIN_INTERFACE_PATTERNS`) the site refuses (`adminStatuses`) are a scanner
 * looking for a console to attack (CrowdSec's `http-admin-interface-probing`: 403/404, 3 distinct
 * paths within a 10s leak): each counts as a sensitive path, and 3 distinct interfaces within the
 * window fire on their own (`adminThreshold`) — three products' consoles from one address is no
 * mistyped link. A served one (200, a login redirect) is the site's own and counts for nothing.
 * `adminInterfaces: []` leaves admin interfaces out.
 */
export const httpSensitivePathsDetector: Detector<SensitivePathParams> = {
  id: 'http.sensitive-paths',
  signalType: 'sensitive_path',
  reads: { planes: ['north-south'] },
  summary: 'An address asked for `threshold` distinct sensitive paths (.env, .git/, backups, traversal …; `patterns`, `extraPatterns`) within `window` (defaults: 4 in 1m)',
  defaults: paramsOf(DEFAULT_SETTINGS),
  compile(raw) {
    const settings = compileSettings(this.id, raw, DEFAULT_SETTINGS, READERS);
    if (settings.patterns.length + settings.extraPatterns.length === 0) {
      throw new InvalidDetectorConfig(this.id, 'patterns', 'must name at least one path (switch the detector off with false instead)');
    }
    return paramsOf(settings);
  },
  plan(event, p) {
    const sighting = sightingOf(event, p);
    if (sighting === undefined) return NO_OPS;
    const { ip, host, normalised, admin } = sighting;
    if (admin === undefined) return [{ kind: 'window.distinct', key: 'http-sensitive:ip', of: ip, member: `${host}${normalised}`, at: event.ts, windowMs: p.windowMs }];
    // An admin interface counts once whatever page of it was asked for, in both counts.
    const member = `${host} admin ${admin}`;
    return [
      { kind: 'window.distinct', key: 'http-sensitive:ip', of: ip, member, at: event.ts, windowMs: p.windowMs },
      { kind: 'window.distinct', key: 'http-admin:ip', of: ip, member, at: event.ts, windowMs: p.windowMs },
    ];
  },
  detect(event, [paths, interfaces], p): RiskSignal[] {
    if (typeof paths !== 'number') return NO_SIGNALS;
    const byPaths = paths >= p.threshold;
    const byInterfaces = typeof interfaces === 'number' && interfaces >= p.adminThreshold;
    if (!byPaths && !byInterfaces) return NO_SIGNALS;
    const entity = addressEntityOf(event);
    const sighting = sightingOf(event, p);
    if (entity === undefined || sighting === undefined) return NO_SIGNALS;
    if (byPaths) {
      return [eventSignal(this, event, entity, SEVERITY, thresholdConfidence(paths, p.threshold), { distinctPaths: paths, threshold: p.threshold, windowMs: p.windowMs, matched: sighting.matched })];
    }
    const count = interfaces as number;
    return [
      eventSignal(this, event, entity, SEVERITY, thresholdConfidence(count, p.adminThreshold), {
        distinctAdminInterfaces: count,
        threshold: p.adminThreshold,
        windowMs: p.windowMs,
        matched: sighting.matched,
      }),
    ];
  },
};

/** A request for a sensitive path: who asked, where, and what matched (`admin`: the refused admin interface, if that is what it is). */
interface Sighting {
  ip: string;
  host: string;
  /** The path percent-decoded and lower case (`normalisePath`). */
  normalised: string;
  matched: string;
  admin: string | undefined;
}

/** The request as a sensitive-path sighting; undefined when it is not one. Pure, so `plan` and `detect` agree. */
function sightingOf(event: AuthEvent, p: SensitivePathParams): Sighting | undefined {
  if (event.plane !== 'north-south') return undefined;
  const ip = event.client?.ip;
  const path = event.target?.path;
  if (ip === undefined || path === undefined) return undefined;
  const normalised = normalisePath(path);
  const host = event.target?.host ?? '';
  const matched = matchOf(normalised, p);
  if (matched !== undefined) return { ip, host, normalised, matched, admin: undefined };
  const admin = refusedAdminInterfaceOf(event, normalised, p);
  return admin === undefined ? undefined : { ip, host, normalised, matched: admin, admin };
}

/** What in a normalised path makes it sensitive: a listed pattern, else a hidden segment; undefined when nothing does. */
function matchOf(normalised: string, p: SensitivePathParams): string | undefined {
  const listed = p.matcher.exec(normalised)?.[0];
  if (listed !== undefined) return listed;
  return p.hiddenFiles ? HIDDEN_SEGMENT.exec(normalised)?.[0] : undefined;
}

/** The admin interface a refused request asked for; undefined when it asked for none or the site served it. */
function refusedAdminInterfaceOf(event: AuthEvent, normalised: string, p: SensitivePathParams): string | undefined {
  if (p.adminMatcher === undefined) return undefined;
  const status = httpStatusOf(event);
  if (status === undefined || !p.adminStatuses.has(status)) return undefined;
  return p.adminMatcher.exec(normalised)?.[0];
}

/** One regular expression for all patterns (lower case): a fragment anywhere, a `*suffix` at the end. */
export function compilePathPatterns(patterns: readonly string[]): RegExp {
  const escape = (s: string): string => escapeRegExp(s.toLowerCase());
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
