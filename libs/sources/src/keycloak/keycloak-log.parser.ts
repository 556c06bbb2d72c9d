import { ignoredRecord, refusedRecord, type SourceParser, type SourceResult } from '../source-parser';
import { recordId } from '../http/http-access';
import { keycloakParser } from './keycloak.parser';

/**
 * Keycloak's text server log (Quarkus: `%d{yyyy-MM-dd HH:mm:ss,SSS} %-5p [%c{3.}] (%t) %s`, also the
 * WildFly distribution's `server.log`): `2026-11-24 10:00:00,123 WARN  [org.keycloak.events]
 * (executor-thread-7) type=LOGIN_ERROR, realmId=…, clientId=…, userId=…, ipAddress=…, error=…, username=…`.
 * The logger may be abbreviated (`org.k.events`, `org.key.events`).
 */
const LINE = /^(\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[,.]\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?) +([A-Z]+) +\[([^\]]{1,256})\] (?:\([^)]{0,256}\) )?(.*)$/;
const EVENTS_LOGGER = /^org\.k[a-z]*\.events$/;

/**
 * A line of Keycloak's text server log from the `jboss-logging` event listener (logger
 * `org.keycloak.events`), read exactly as the `keycloak` parser reads the same event in the JSON
 * console log — same actions, outcomes, reasons and principal (see `keycloakParser`). The time has
 * no zone unless the format adds one: read as UTC. Lines from other loggers are ignored. Id: sha1 of
 * the line (`keycloak-log:…`), since a text line carries no event id and repeated attempts in one
 * authentication session share their other fields.
 */
export const keycloakLogParser: SourceParser = {
  id: 'keycloak-log',
  summary:
    'Keycloak text server log (Quarkus or WildFly format): org.keycloak.events lines (type=LOGIN_ERROR, …, error=…, username=…) read like the keycloak JSON events; other loggers ignored; time read as UTC',
  framing: 'line',
  parse(record): SourceResult {
    if (typeof record !== 'string') return refusedRecord('(line): must be a text line');
    const m = LINE.exec(record);
    if (m === null) return refusedRecord('(line): not a Keycloak log line (expected "yyyy-MM-dd HH:mm:ss,SSS LEVEL [logger] (thread) message")');
    const logger = m[3] as string;
    if (!EVENTS_LOGGER.test(logger)) return ignoredRecord(`log line from ${logger}`);
    const result = keycloakParser.parse({ timestamp: m[1], loggerName: 'org.keycloak.events', message: m[4] });
    if (!result.ok) return refusedRecord(result.reason.replace(/^timestamp:/, 'time:'));
    const id = recordId('keycloak-log', record);
    return { ...result, events: result.events.map((event) => ({ ...event, id })) };
  },
};
