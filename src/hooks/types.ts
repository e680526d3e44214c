/**
 * The types hook authors write against. Hook points and their arguments are declared by the
 * servers through declaration merging into `HookArguments` (src/dhcp4, src/dhcp6), so that
 * `handle.getArgument("query4")` is typed as a Pkt4 in a `pkt4_receive` callout while this
 * framework stays generic: hook names are strings and arguments are values.
 *
 * This module imports nothing: the handle classes and the callout types built on them
 * (`Callout`, `CommandCallout`) live in callout-handle.ts, which imports it.
 */

/** A JSON value, as found in `parameters` and in control commands. */
export type JsonValue =
  null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** A control command as received: `{ "command": ..., "arguments": ... }` (Kea's shape). */
export interface ControlCommand {
  command: string;
  arguments?: JsonValue;
  service?: string[];
  [key: string]: JsonValue | undefined;
}

/** A control answer: `{ "result": 0..4, "text": ..., "arguments": ... }` (Kea's shape). */
export interface ControlAnswer {
  result: number;
  text?: string;
  arguments?: JsonValue;
  [key: string]: JsonValue | undefined;
}

/**
 * Hook name -> argument name -> argument type. The framework declares its own hooks; servers
 * add theirs with `declare module "nestor/hooks" { interface HookArguments { ... } }`.
 * `$command` stands for every command hook created by registerCommandCallout.
 */
export interface HookArguments {
  context_create: Record<never, never>;
  context_destroy: Record<never, never>;
  $command: { command: ControlCommand; response: ControlAnswer | undefined };
}

export type HookName = keyof HookArguments;

/** The arguments of hook K; a hook the types do not know takes any named values. */
export type ArgumentsOf<K extends string> = K extends keyof HookArguments
  ? HookArguments[K]
  : Record<string, unknown>;

/**
 * What a callout returns: 0 (or nothing) for success, non-zero to have the framework log an
 * error naming the library and hook. A Promise of that suspends this request (and only this
 * one) until it settles: Nestor's form of Kea's packet parking.
 */
export type CalloutResult = number | void;
