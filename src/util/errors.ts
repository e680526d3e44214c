/**
 * Typed errors shared by every layer.
 *
 * Each failure is one small class with a stable `code` string. `instanceof` is decided by a
 * brand registered with `Symbol.for`, not by prototype identity, so it still holds when a hook
 * library ends up with its own copy of a Nestor module (a second install, a reload that
 * re-imported a module): `err instanceof NoSuchArgument` is true for any copy's NoSuchArgument.
 */

const BRANDS = Symbol.for("nestor.error.brands");

type Branded = { [BRANDS]?: ReadonlySet<string> };

export class NestorError extends Error {
  /** Stable machine-readable identifier, e.g. "NESTOR_NO_SUCH_ARGUMENT". */
  readonly code: string;

  constructor(message: string, code = "NESTOR_ERROR", options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== "object" || value === null) return false;
    const brands = (value as Branded)[BRANDS];
    if (brands === undefined) return false;
    return brands.has(brandOf(this));
  }
}

/** The brand of a class is its name, qualified so it does not clash with foreign errors. */
function brandOf(ctor: { name: string }): string {
  return `nestor.${ctor.name}`;
}

// Every instance carries the brands of its class chain; computed once per class.
const chainCache = new WeakMap<object, ReadonlySet<string>>();

function chainOf(proto: object): ReadonlySet<string> {
  let set = chainCache.get(proto);
  if (set === undefined) {
    const names = new Set<string>();
    for (let p: object | null = proto; p !== null && p !== Error.prototype;) {
      const ctor = (p as { constructor: { name: string } }).constructor;
      names.add(brandOf(ctor));
      p = Object.getPrototypeOf(p) as object | null;
    }
    set = names;
    chainCache.set(proto, set);
  }
  return set;
}

Object.defineProperty(NestorError.prototype, BRANDS, {
  get(this: object): ReadonlySet<string> {
    return chainOf(Object.getPrototypeOf(this) as object);
  },
  enumerable: false,
  configurable: false,
});

/** A caller asked for something that is not allowed in the current state. */
export class InvalidOperation extends NestorError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, "NESTOR_INVALID_OPERATION", options);
  }
}

/** A configuration was refused: which file, where in it, and why. */
export class ConfigError extends NestorError {
  readonly file: string | undefined;
  readonly path: string;
  readonly reason: string;

  constructor(reason: string, path = "", file?: string, options?: ErrorOptions) {
    const where = [file, path].filter((s) => s !== undefined && s !== "").join(": ");
    super(where === "" ? reason : `${where}: ${reason}`, "NESTOR_CONFIG_ERROR", options);
    this.file = file;
    this.path = path;
    this.reason = reason;
  }
}
