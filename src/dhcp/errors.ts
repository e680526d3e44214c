/**
 * Errors of the wire layer. Parsing untrusted bytes fails with exactly one error class,
 * PacketParseError, so a receive loop needs one `catch` and nothing else can escape it.
 */
import { NestorError } from "../util/errors.ts";

/** A packet (or an option inside it) does not follow the wire format. */
export class PacketParseError extends NestorError {
  /** Byte offset, from the start of the buffer being parsed, where the problem was found. */
  readonly offset: number;
  /** What was wrong, without the offset. */
  readonly reason: string;

  constructor(offset: number, reason: string, options?: ErrorOptions) {
    super(`malformed packet at offset ${offset}: ${reason}`, "NESTOR_PACKET_PARSE", options);
    this.offset = offset;
    this.reason = reason;
  }
}

/** Configuration text for an option (option-data, option-def) cannot be converted. */
export class OptionDataError extends NestorError {
  /** The option name or code as given ("domain-name-servers", "dhcp4/6"). */
  readonly option: string;
  readonly reason: string;

  constructor(option: string, reason: string, options?: ErrorOptions) {
    super(`option '${option}': ${reason}`, "NESTOR_OPTION_DATA", options);
    this.option = option;
    this.reason = reason;
  }
}

/** A value handed to a packet or option setter is out of range or malformed. */
export class BadValue extends NestorError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, "NESTOR_DHCP_BAD_VALUE", options);
  }
}
