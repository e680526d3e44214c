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
  /**
   * The text so far, as slices of the decoded chunks (comments replaced by blanks): joined once,
   * when asked for. Appending one character at a time would make a string of one rope node per
   * character (tens of bytes each: a 10 MB command would hold hundreds of MB).
   */
  private parts: string[] = [];
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
    if (!this.complete && this.error === null) this.scan(this.decoder.write(chunk));
    return this.complete || this.error !== null;
  }

  /** True when nothing but white space and comments came. */
  get empty(): boolean {
    return !this.started;
  }

  /** The text of the value, comments blanked: parse with JSON.parse. */
  get text(): string {
    if (this.parts.length > 1) this.parts = [this.parts.join("")];
    return this.parts[0] ?? "";
  }

  /** Forgets the text (once parsed), so that a connection kept open does not hold it. */
  release(): void {
    this.parts = [];
  }

  private scan(s: string): void {
    const n = s.length;
    // s[seg, i) is yet to be appended: verbatim in a value, blanked in a comment.
    let seg = 0;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      switch (this.state) {
        case S.STRING:
          if (c === BACKSLASH) this.state = S.ESCAPE;
          else if (c === QUOTE) this.state = S.VALUE;
          break;
        case S.ESCAPE:
          this.state = S.STRING;
          break;
        case S.SLASH:
          // The '/' before this character is not in s[seg, i): it is written here.
          if (c === SLASH) this.state = S.LINE_COMMENT;
          else if (c === STAR) this.state = S.BLOCK_COMMENT;
          else {
            // Not a comment: JSON.parse will say what is wrong with it.
            this.state = S.VALUE;
            this.parts.push("/");
            i--;
            continue;
          }
          this.parts.push(" ");
          break;
        case S.LINE_COMMENT:
          if (c === NEWLINE) {
            this.parts.push(blank(s, seg, i + 1));
            seg = i + 1;
            this.state = S.VALUE;
          }
          break;
        case S.BLOCK_COMMENT:
          if (c === STAR) this.state = S.BLOCK_STAR;
          break;
        case S.BLOCK_STAR:
          if (c === SLASH) {
            this.parts.push(blank(s, seg, i + 1));
            seg = i + 1;
            this.state = S.VALUE;
          } else if (c !== STAR) this.state = S.BLOCK_COMMENT;
          break;
        default:
          if (c === HASH || c === SLASH) {
            if (i > seg) this.parts.push(s.slice(seg, i));
            if (c === HASH) {
              this.state = S.LINE_COMMENT;
              seg = i; // blanked with the rest of the comment
            } else {
              this.state = S.SLASH;
              seg = i + 1; // the slash is written once the next character says what it is
            }
            continue;
          }
          if (!this.started && !isSpace(c)) {
            this.started = true;
            if (c !== OPEN_MAP && c !== OPEN_LIST) {
              this.error = "invalid command: expected a JSON map";
              this.parts = [];
              return;
            }
          }
          if (c === QUOTE) this.state = S.STRING;
          else if (c === OPEN_MAP || c === OPEN_LIST) this.depth++;
          else if (c === CLOSE_MAP || c === CLOSE_LIST) {
            this.depth--;
            if (this.depth === 0) {
              this.complete = true;
              this.parts.push(s.slice(seg, i + 1));
              return;
            }
          }
      }
    }
    if (seg >= n) return;
    const inComment =
      this.state === S.LINE_COMMENT ||
      this.state === S.BLOCK_COMMENT ||
      this.state === S.BLOCK_STAR;
    this.parts.push(inComment ? blank(s, seg, n) : s.slice(seg));
  }
}

const BACKSLASH = 0x5c;
const QUOTE = 0x22;
const SLASH = 0x2f;
const STAR = 0x2a;
const HASH = 0x23;
const NEWLINE = 0x0a;
const OPEN_MAP = 0x7b;
const CLOSE_MAP = 0x7d;
const OPEN_LIST = 0x5b;
const CLOSE_LIST = 0x5d;

/** White space as /\s/ has it for the characters a command may start with. */
function isSpace(c: number): boolean {
  return (
    c === 0x20 ||
    (c >= 0x09 && c <= 0x0d) ||
    c === 0xa0 ||
    c === 0xfeff ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

/** s[from, to) with every character but a newline made a space (positions kept). */
function blank(s: string, from: number, to: number): string {
  return s.slice(from, to).replace(/[^\n]/g, " ");
}
