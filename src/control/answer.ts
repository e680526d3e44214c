/**
 * Kea's command and answer shapes (`isc-projects/kea:src/lib/cc/command_interpreter.cc`):
 * `{"command", "arguments", "service", "remote-address"}` in, `{"result", "text", "arguments"}`
 * out, with Kea's result codes and messages.
 */
import type { ControlAnswer, ControlCommand, JsonValue } from "../hooks/types.ts";

export const CONTROL_RESULT_SUCCESS = 0;
export const CONTROL_RESULT_ERROR = 1;
export const CONTROL_RESULT_COMMAND_UNSUPPORTED = 2;
export const CONTROL_RESULT_EMPTY = 3;
export const CONTROL_RESULT_CONFLICT = 4;

/** `{result, text?, arguments?}`; keys absent when not given, as Kea prints them. */
export function createAnswer(result: number, text?: string, args?: JsonValue): ControlAnswer {
  const answer: ControlAnswer = { result };
  if (text !== undefined) answer.text = text;
  if (args !== undefined) answer.arguments = args;
  return answer;
}

/** A refusal carrying its answer: thrown by command handlers, caught by the manager. */
export class CommandError extends Error {
  readonly result: number;

  constructor(text: string, result = CONTROL_RESULT_ERROR) {
    super(text);
    this.name = "CommandError";
    this.result = result;
  }
}

const ALLOWED_KEYS = new Set(["command", "arguments", "service", "remote-address"]);

function isMap(v: unknown): v is Record<string, JsonValue> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Kea's parseCommand: a map with a string `command`, and no other key than Kea's four. */
export function parseCommand(value: unknown): ControlCommand {
  if (!isMap(value)) throw new CommandError("invalid command: expected map");
  const command = value["command"];
  if (command === undefined) throw new CommandError("invalid command: missing command");
  if (typeof command !== "string") {
    throw new CommandError("invalid command: command name is not a string");
  }
  for (const key of Object.keys(value)) {
    if (!ALLOWED_KEYS.has(key)) {
      throw new CommandError(`invalid command: unsupported parameter '${key}'`);
    }
  }
  const service = value["service"];
  if (
    service !== undefined &&
    (!Array.isArray(service) || !service.every((s) => typeof s === "string"))
  ) {
    throw new CommandError("invalid command: 'service' must be a list of strings");
  }
  return value as ControlCommand;
}

/** The command's arguments as a map; `{}` when absent; CommandError when not a map. */
export function argumentsMap(
  command: ControlCommand,
  mandatory = false,
): Record<string, JsonValue> {
  const args = command.arguments;
  if (args === undefined || args === null) {
    if (mandatory) throw new CommandError("Missing mandatory 'arguments' parameter.");
    return {};
  }
  if (!isMap(args)) throw new CommandError("'arguments' parameter expected to be a map.");
  return args;
}

/** A mandatory string argument (`name` of the statistic commands...). */
export function stringArgument(args: Record<string, JsonValue>, name: string): string {
  const v = args[name];
  if (v === undefined) throw new CommandError(`Missing mandatory '${name}' parameter.`);
  if (typeof v !== "string") throw new CommandError(`'${name}' parameter expected to be a string.`);
  return v;
}

/** A mandatory (or optional, when `fallback` is given) integer argument. */
export function integerArgument(
  args: Record<string, JsonValue>,
  name: string,
  fallback?: number,
): number {
  const v = args[name];
  if (v === undefined) {
    if (fallback !== undefined) return fallback;
    throw new CommandError(`Missing mandatory '${name}' parameter.`);
  }
  if (typeof v !== "number" || !Number.isInteger(v)) {
    throw new CommandError(`'${name}' parameter expected to be an integer.`);
  }
  return v;
}
