/**
 * Finds where one JSON command ends in a byte stream, as Kea's JSONFeed does for its unix control
 * socket (the client sends one JSON map and waits; no framing, no end-of-file needed). Comments
 * (`#`, `//`, `/* *\/`, accepted in commands since Kea 1.9.7) are blanked as they go by, so the
 * text handed to JSON.parse is strict JSON with the same positions.
 */
import { StringDecoder } from "node:string_decoder";

const S = {
  VALUE: 0,
  STRING: 1,
  ESCAPE: 2,
  SLASH: 3,
  LINE_COMMENT: 4,
  BLOCK_COMMENT: 5,
  BLOCK_STAR: 6,
} as const;
type State = (typeof S)[keyof typeof S];

export class JsonFeed {
  private readonly decoder = new StringDecoder("utf8");
  private out = "";
  private state: State = S.VALUE;
  private depth = 0;
  private started = false;
  /** Set when the stream cannot hold a JSON map or list (its first character says so). */
  error: string | null = null;
  /** Set once the top-level value is closed. */
  complete = false;
  /** Bytes received so far (the caller bounds them). */
  bytes = 0;

  /** Feeds a chunk; true when a complete value (or an error) is in. */
  push(chunk: Buffer): boolean {
    this.bytes += chunk.length;
    this.scan(this.decoder.write(chunk));
    return this.complete || this.error !== null;
  }

  /** True when nothing but white space and comments came. */
  get empty(): boolean {
    return !this.started;
  }

  /** The text of the value, comments blanked: parse with JSON.parse. */
  get text(): string {
    return this.out;
  }

  private scan(s: string): void {
    for (let i = 0; i < s.length && !this.complete; i++) {
      const c = s[i]!;
      switch (this.state) {
        case S.STRING:
          if (c === "\\") this.state = S.ESCAPE;
          else if (c === '"') this.state = S.VALUE;
          this.out += c;
          break;
        case S.ESCAPE:
          this.state = S.STRING;
          this.out += c;
          break;
        case S.SLASH:
          if (c === "/") this.state = S.LINE_COMMENT;
          else if (c === "*") this.state = S.BLOCK_COMMENT;
          else {
            // Not a comment: JSON.parse will say what is wrong with it.
            this.state = S.VALUE;
            this.out += "/";
            i--;
            continue;
          }
          this.out += "  ";
          break;
        case S.LINE_COMMENT:
          if (c === "\n") this.state = S.VALUE;
          this.out += c === "\n" ? c : " ";
          break;
        case S.BLOCK_COMMENT:
          if (c === "*") this.state = S.BLOCK_STAR;
          this.out += c === "\n" ? c : " ";
          break;
        case S.BLOCK_STAR:
          if (c === "/") this.state = S.VALUE;
          else if (c !== "*") this.state = S.BLOCK_COMMENT;
          this.out += c === "\n" ? c : " ";
          break;
        default:
          this.value(c);
      }
    }
  }

  private value(c: string): void {
    if (c === "#") {
      this.state = S.LINE_COMMENT;
      this.out += " ";
      return;
    }
    if (c === "/") {
      this.state = S.SLASH;
      return;
    }
    if (!this.started && !/\s/.test(c)) {
      this.started = true;
      if (c !== "{" && c !== "[") {
        this.error = "invalid command: expected a JSON map";
        return;
      }
    }
    this.out += c;
    if (c === '"') this.state = S.STRING;
    else if (c === "{" || c === "[") this.depth++;
    else if (c === "}" || c === "]") {
      this.depth--;
      if (this.depth === 0) this.complete = true;
    }
  }
}
