/** What an `@EventPattern(topic)` handler of the EventLogTransport receives. */
export interface DecodedMessage<T> {
  key: string;
  value: T;
  headers: Readonly<Record<string, string>>;
  offset: string;
  timestamp: number;
}

export interface DecodedBatch<T> {
  topic: string;
  partition: number;
  items: ReadonlyArray<DecodedMessage<T>>;
}

/** The dead-letter topic beside a topic: `auth.events` → `auth.events.dlq`. */
export function deadLetterTopic(topic: string): string {
  return `${topic}.dlq`;
}
