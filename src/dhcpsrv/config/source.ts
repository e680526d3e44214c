/**
 * Where each value of a loaded configuration was written, kept after validation so that the
 * servers' own checks (option data that does not convert, an interface that does not exist)
 * can refuse a value with the same file:line:column and key path as the reader does.
 */

import { ConfigFileError, makeWarning, type ConfigWarning, type SourcePosition } from "./errors.ts";
import { formatKeyPath, type KeaDocument, type KeyPath } from "./kea-json.ts";

export class ConfigSource {
  readonly #doc: KeaDocument;

  constructor(doc: KeaDocument) {
    this.#doc = doc;
  }

  /** Every file read, the main one first. */
  get files(): readonly string[] {
    return this.#doc.files;
  }

  /**
   * Where the value at `path` (e.g. `["Dhcp4", "subnet4", 0, "option-data", 2, "data"]`) was
   * written; for a value filled in as a default, where its nearest written ancestor was.
   */
  position(path: KeyPath): SourcePosition | undefined {
    return this.#doc.positions.valueAt(path);
  }

  /** Whether the value at `path` was written in the file rather than filled in as a default. */
  written(path: KeyPath): boolean {
    return this.#doc.positions.has(path);
  }

  /** A refusal of the value at `path`, to throw: `file:line:column: Dhcp4.path: reason`. */
  error(reason: string, path: KeyPath, options?: ErrorOptions): ConfigFileError {
    const where = this.position(path) ?? { file: this.#doc.files[0] ?? "" };
    return new ConfigFileError(reason, formatKeyPath(path), where, options);
  }

  /** Positions follow a value the validator moved (Kea 2.2 spellings folded into newer ones). */
  moved(from: KeyPath, to: KeyPath): void {
    this.#doc.positions.move(from, to);
  }
}

/** What the semantic checks use: refuse at a path, or warn at a path. */
export class Reporter {
  readonly source: ConfigSource;
  readonly #warnings: ConfigWarning[];

  constructor(source: ConfigSource, warnings: ConfigWarning[]) {
    this.source = source;
    this.#warnings = warnings;
  }

  written(path: KeyPath): boolean {
    return this.source.written(path);
  }

  fail(reason: string, path: KeyPath): never {
    throw this.source.error(reason, path);
  }

  warn(reason: string, path: KeyPath): void {
    this.#warnings.push(makeWarning(reason, formatKeyPath(path), this.source.position(path)));
  }
}
