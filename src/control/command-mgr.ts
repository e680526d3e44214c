/**
 * The command manager: one per server, whatever the transport. A command goes to the hook
 * libraries' handlers when any library registered one for it (every handler, in library order,
 * each seeing the previous answer: Kea's HookedCommandMgr), else to the built-in handler, else
 * result 2. `command_processed` then sees, and may replace, the answer.
 */
import type { HooksManager } from "../hooks/hooks-manager.ts";
import { ServerHooks } from "../hooks/server-hooks.ts";
import type { ControlAnswer, ControlCommand } from "../hooks/types.ts";
import { defineMessages, type Logger } from "../log/logger.ts";
import {
  CONTROL_RESULT_COMMAND_UNSUPPORTED,
  CONTROL_RESULT_ERROR,
  CommandError,
  createAnswer,
  parseCommand,
} from "./answer.ts";
import { registerControlHooks } from "./hook-points.ts";

defineMessages({
  COMMAND_RECEIVED: "Received command '%1'",
  COMMAND_HOOK_NO_RESPONSE: "command handlers of '%1' set no response",
  COMMAND_PROCESSING_ERROR: "error while processing command '%1': %2",
});

export type CommandHandler = (command: ControlCommand) => ControlAnswer | Promise<ControlAnswer>;

export class CommandMgr {
  readonly hooks: HooksManager;
  private readonly handlers = new Map<string, CommandHandler>();
  private readonly log: Logger;
  private readonly processedIndex: number;
  private readonly flushLogs: (() => Promise<void>) | null;

  /**
   * `flushLogs`, when given, is awaited before each answer is handed back, so that the lines a
   * command logged (a reload's DYNAMIC_RECONFIGURATION_SUCCESS, say) are written before its
   * answer leaves, as Kea's synchronous logging orders them. It is bounded by the outputs
   * themselves (a stuck output is given up on after a few seconds).
   */
  constructor(hooks: HooksManager, log: Logger, flushLogs?: () => Promise<void>) {
    this.hooks = hooks;
    this.log = log;
    this.flushLogs = flushLogs ?? null;
    this.processedIndex = registerControlHooks(hooks.serverHooks);
    this.registerCommand("list-commands", () => createAnswer(0, undefined, this.commands()));
  }

  registerCommand(name: string, handler: CommandHandler): void {
    this.handlers.set(name, handler);
  }

  /** Built-in commands and the commands hook libraries handle, sorted. */
  commands(): string[] {
    const names = new Set(this.handlers.keys());
    for (const hook of this.hooks.serverHooks.getHookNames()) {
      const name = ServerHooks.hookToCommandName(hook);
      if (name !== "" && this.hooks.commandHandlersPresent(name)) names.add(name);
    }
    return [...names].sort();
  }

  /** One command as parsed from JSON (any value): its answer, never a throw. */
  async processCommand(value: unknown): Promise<ControlAnswer> {
    let command: ControlCommand;
    try {
      command = parseCommand(value);
    } catch (e) {
      return createAnswer(CONTROL_RESULT_ERROR, e instanceof Error ? e.message : String(e));
    }
    this.log.debug(0, "COMMAND_RECEIVED", command.command);
    const answer = await this.commandProcessed(command, await this.handleCommand(command));
    if (this.flushLogs !== null) await this.flushLogs();
    return answer;
  }

  private async handleCommand(command: ControlCommand): Promise<ControlAnswer> {
    const name = command.command;
    try {
      if (name !== "list-commands" && this.hooks.commandHandlersPresent(name)) {
        return await this.callHookHandlers(command);
      }
      const handler = this.handlers.get(name);
      if (handler === undefined) {
        return createAnswer(CONTROL_RESULT_COMMAND_UNSUPPORTED, `'${name}' command not supported.`);
      }
      return await handler(command);
    } catch (e) {
      if (e instanceof CommandError) return createAnswer(e.result, e.message);
      const why = e instanceof Error ? e.message : String(e);
      this.log.error("COMMAND_PROCESSING_ERROR", name, why);
      return createAnswer(CONTROL_RESULT_ERROR, `Error during command processing: ${why}`);
    }
  }

  private async callHookHandlers(command: ControlCommand): Promise<ControlAnswer> {
    const handle = this.hooks.createCalloutHandle<"$command">();
    try {
      handle.setArgument("command", command);
      handle.setArgument("response", undefined);
      await this.hooks.callCommandHandlers(command.command, handle);
      const response = handle.getArgument("response");
      if (!isAnswer(response)) {
        this.log.error("COMMAND_HOOK_NO_RESPONSE", command.command);
        return createAnswer(
          CONTROL_RESULT_ERROR,
          `command handlers of '${command.command}' set no valid response`,
        );
      }
      return response;
    } finally {
      await handle.release();
    }
  }

  // command_processed: callouts see the name, the arguments and the answer, and may replace it.
  private async commandProcessed(
    command: ControlCommand,
    answer: ControlAnswer,
  ): Promise<ControlAnswer> {
    if (!this.hooks.calloutsPresent(this.processedIndex)) return answer;
    const handle = this.hooks.createCalloutHandle<"command_processed">();
    try {
      handle.setArgument("name", command.command);
      handle.setArgument("arguments", command.arguments);
      handle.setArgument("response", answer);
      await this.hooks.callCallouts(this.processedIndex, handle);
      const response = handle.getArgument("response");
      return isAnswer(response) ? response : answer;
    } finally {
      await handle.release();
    }
  }
}

function isAnswer(v: unknown): v is ControlAnswer {
  return (
    typeof v === "object" &&
    v !== null &&
    !Array.isArray(v) &&
    typeof (v as { result?: unknown }).result === "number"
  );
}
