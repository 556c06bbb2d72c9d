import { parseJsonText } from '../json/json-record';
import { refusedRecord, type SourceParser } from '../source-parser';
import { stripSyslogHeader } from './syslog-header';

/**
 * What a container runtime writes around each line a program prints:
 * - containerd / CRI-O (the CRI format, `/var/log/pods/…`): `<RFC 3339 time> <stdout|stderr> <F|P> <line>`,
 *   `P` marking a partial line the runtime split (over 16 KiB) and `F` the full line or its last part;
 * - Docker's `json-file` driver: `{"log":"<line>\n","stream":"stdout","time":"<RFC 3339>"}`.
 * The payload is the program's own line; its own time is the event's time, not the runtime's.
 */
const CRI = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d) (?:stdout|stderr) ([FP])(?::\S*)? ?/;

export type Unwrapped = { line: string } | { problem: string };

/** The program's line inside a container runtime's wrapper; the line itself when it has none. */
export function unwrapContainerLine(line: string): Unwrapped {
  const cri = CRI.exec(line);
  if (cri !== null) {
    if (cri[1] === 'P') return { problem: '(line): a partial CRI line (P): the runtime split a line over 16 KiB and a single part cannot be read alone' };
    return { line: line.slice(cri[0].length) };
  }
  if (line.startsWith('{"log":')) {
    const parsed = parseJsonText(line);
    if (parsed === undefined) return { problem: '(line): starts like a Docker json-file record but is not JSON' };
    const log = (parsed as { log?: unknown }).log;
    if (typeof log !== 'string') return { problem: 'log: must be the logged line (Docker json-file)' };
    return { line: log.endsWith('\r\n') ? log.slice(0, -2) : log.endsWith('\n') ? log.slice(0, -1) : log };
  }
  return { line };
}

/**
 * The parser as the catalogue offers it: a `line` parser also reads its lines inside a container
 * runtime's wrapper (CRI or Docker json-file) and, unless it reads syslog itself
 * (`readsSyslogHeader`), behind a syslog header (`host nginx[12]: …`, RFC 5424). The one place
 * wrappers are handled, so parsers see only their own format; the event id hashes the program's
 * line, so the same line read plain or wrapped is the same event.
 * A `json` parser given a container runtime line (a string its caller could not frame as JSON) gets
 * the JSON inside it; every other value passes unchanged.
 */
export function acceptingEnvelopes(parser: SourceParser): SourceParser {
  return {
    ...parser,
    parse(record, context) {
      if (typeof record !== 'string') return parser.parse(record, context);
      const unwrapped = unwrapContainerLine(record);
      if ('problem' in unwrapped) return refusedRecord(unwrapped.problem);
      if (parser.framing === 'line') return parser.parse(parser.readsSyslogHeader === true ? unwrapped.line : stripSyslogHeader(unwrapped.line), context);
      if (unwrapped.line === record) return parser.parse(record, context);
      const value = parseJsonText(unwrapped.line);
      return value === undefined ? refusedRecord('(record): the container runtime line does not hold JSON') : parser.parse(value, context);
    },
  };
}
