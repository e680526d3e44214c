/**
 * Where a configuration error or warning points: the file, the line and column in it (1-based,
 * counted in characters) and the key path in Kea's style (`Dhcp4.subnet4[0].pools[1].pool`).
 */

import { ConfigError } from "../../util/errors.ts";

export interface SourcePosition {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** `file:line:column`, the form editors and compilers use. */
export function formatPosition(pos: SourcePosition): string {
  return `${pos.file}:${pos.line}:${pos.column}`;
}

function locate(reason: string, path: string, file?: string, pos?: SourcePosition): string {
  const where = pos !== undefined ? formatPosition(pos) : file;
  return [where, path, reason].filter((s) => s !== undefined && s !== "").join(": ");
}

/**
 * A refused configuration with its place in the source: `ConfigError` (file, key path, reason)
 * plus the line and column when the value came from a file (defaults inserted have none).
 * The message reads `kea.conf:12:20: Dhcp4.subnet4[0].pools[1].pool: reason`.
 */
export class ConfigFileError extends ConfigError {
  readonly line: number | undefined;
  readonly column: number | undefined;

  constructor(
    reason: string,
    path: string,
    where?: SourcePosition | { readonly file: string },
    options?: ErrorOptions,
  ) {
    super(reason, path, where?.file, options);
    const pos = where !== undefined && "line" in where ? where : undefined;
    this.line = pos?.line;
    this.column = pos?.column;
    this.message = locate(reason, path, where?.file, pos);
  }
}

/** Something accepted that the operator should know about (Kea logs these as warnings). */
export interface ConfigWarning {
  readonly reason: string;
  /** Key path in Kea's style, "" for the document itself. */
  readonly path: string;
  readonly position: SourcePosition | undefined;
  /** `file:line:column: path: reason`, ready to log. */
  readonly text: string;
}

export function makeWarning(
  reason: string,
  path: string,
  position: SourcePosition | undefined,
): ConfigWarning {
  return { reason, path, position, text: locate(reason, path, undefined, position) };
}
