/**
 * Read-only access to a dataset folder as its publisher ships it. The suites are pure: the
 * `ratchet eval` command hands them a file-system implementation, specs may hand them anything.
 * Paths are relative to the dataset root, `/`-separated.
 */
export interface DatasetFiles {
  /** The text of a file; undefined when it does not exist. Throws only when it exists but cannot be read. */
  read(path: string): string | undefined;
  /** Names (not paths) of the entries of a folder, sorted; empty when it does not exist. */
  list(dir: string): string[];
}
