/** Why an input was refused; travels in the `ratchet-reason` header of the dead-letter message. */
export const DEAD_LETTER_REASONS = {
  invalidEvent: 'invalid-event',
  unparsable: 'unparsable',
  /** The source's parser could not read the record (format, missing field). */
  refusedRecord: 'refused-record',
  unknownSchema: 'unknown-schema-version',
} as const;
export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[keyof typeof DEAD_LETTER_REASONS];
