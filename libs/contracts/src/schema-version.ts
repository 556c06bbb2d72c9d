/** Every message Ratchet writes carries `v`; consumers refuse versions they do not know. */
export const SCHEMA_VERSION = 1 as const;
export type SchemaVersion = typeof SCHEMA_VERSION;
