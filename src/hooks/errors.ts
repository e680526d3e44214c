/** The hooks framework's typed errors (Kea's names where Kea has one). */
import { NestorError } from "../util/errors.ts";

/** getArgument() or deleteArgument() named an argument the handle does not hold. */
export class NoSuchArgument extends NestorError {
  readonly argument: string;
  constructor(name: string) {
    super(`unable to find argument with name ${name}`, "NESTOR_NO_SUCH_ARGUMENT");
    this.argument = name;
  }
}

/** getContext() named an item the current library never set for this request. */
export class NoSuchCalloutContext extends NestorError {
  readonly item: string;
  constructor(name: string) {
    super(`unable to find callout context item ${name} in any library`, "NESTOR_NO_SUCH_CONTEXT");
    this.item = name;
  }
}

/** A hook name that the server did not register. */
export class NoSuchHook extends NestorError {
  readonly hook: string;
  constructor(name: string) {
    super(`hook name ${name} is not recognized`, "NESTOR_NO_SUCH_HOOK");
    this.hook = name;
  }
}

/** registerHook() was asked to register a name twice. */
export class DuplicateHook extends NestorError {
  readonly hook: string;
  constructor(name: string) {
    super(`hook with name ${name} is already registered`, "NESTOR_DUPLICATE_HOOK");
    this.hook = name;
  }
}

/**
 * setArgument() / setContext() replaced a value with one of another kind (see the kind rule in
 * callout-handle.ts): the TypeScript form of Kea's "the type must match exactly".
 */
export class ArgumentTypeError extends NestorError {
  readonly argument: string;
  readonly expected: string;
  readonly actual: string;
  constructor(name: string, expected: string, actual: string) {
    super(
      `argument ${name} holds a value of kind ${expected}; a value of kind ${actual} cannot replace it`,
      "NESTOR_ARGUMENT_TYPE",
    );
    this.argument = name;
    this.expected = expected;
    this.actual = actual;
  }
}

/** A library could not be loaded: which library, and why. The whole library set is refused. */
export class LibraryLoadError extends NestorError {
  readonly library: string;
  readonly reason: string;
  constructor(library: string, reason: string, options?: ErrorOptions) {
    super(`hooks library ${library} failed to load: ${reason}`, "NESTOR_LIBRARY_LOAD", options);
    this.library = library;
    this.reason = reason;
  }
}

/** An asynchronous callout did not settle within the configured callout timeout. */
export class CalloutTimeout extends NestorError {
  constructor(hook: string, library: string, ms: number) {
    super(
      `callout on hook ${hook} of library ${library} did not finish within ${ms} ms`,
      "NESTOR_CALLOUT_TIMEOUT",
    );
  }
}
