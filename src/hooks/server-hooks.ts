import { DuplicateHook, NoSuchHook } from "./errors.ts";

/** Index of the framework's own hook run when a request's callout handle is first used. */
export const CONTEXT_CREATE = 0;
/** Index of the framework's own hook run when a request's callout handle is released. */
export const CONTEXT_DESTROY = 1;

/**
 * The registry of hook names and their indexes. A server registers its hook points once at
 * start-up and keeps the indexes, so the packet path never looks up a string. Command hooks
 * (`$name`) are added when a library registers a command handler. One registry is shared by
 * every generation of libraries a server loads over its life.
 */
export class ServerHooks {
  private readonly names: string[] = [];
  private readonly indexes = new Map<string, number>();

  constructor() {
    this.registerHook("context_create");
    this.registerHook("context_destroy");
  }

  registerHook(name: string): number {
    if (this.indexes.has(name)) throw new DuplicateHook(name);
    const index = this.names.length;
    this.names.push(name);
    this.indexes.set(name, index);
    return index;
  }

  /** Registers the name if absent; returns its index either way. */
  ensureHook(name: string): number {
    return this.indexes.get(name) ?? this.registerHook(name);
  }

  getIndex(name: string): number {
    const index = this.indexes.get(name);
    if (index === undefined) throw new NoSuchHook(name);
    return index;
  }

  /** The index, or -1 when the name is not registered. */
  findIndex(name: string): number {
    return this.indexes.get(name) ?? -1;
  }

  getName(index: number): string {
    const name = this.names[index];
    if (name === undefined) throw new NoSuchHook(`#${index}`);
    return name;
  }

  getCount(): number {
    return this.names.length;
  }

  getHookNames(): readonly string[] {
    return this.names;
  }

  /** "foo-bar" -> "$foo_bar" (Kea's ServerHooks::commandToHookName). */
  static commandToHookName(command: string): string {
    return "$" + command.replaceAll("-", "_");
  }

  /** "$foo_bar" -> "foo-bar"; "" when the name is not a command hook. */
  static hookToCommandName(hook: string): string {
    return hook.startsWith("$") ? hook.slice(1).replaceAll("_", "-") : "";
  }
}
