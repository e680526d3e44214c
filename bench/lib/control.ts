/**
 * One command over a server's unix control socket (Kea's and Nestor's `control-socket`), as the
 * benchmarks send them: writes the command, resolves with the answer once it parses as JSON.
 */
import { createConnection } from "node:net";

export function control(socket: string, text: string, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolveAnswer, reject) => {
    const sock = createConnection(socket);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error("no answer"));
    }, timeoutMs);
    sock.on("connect", () => sock.write(text));
    sock.on("data", (d: Buffer) => {
      chunks.push(d);
      const s = Buffer.concat(chunks).toString("utf8");
      try {
        JSON.parse(s);
        clearTimeout(timer);
        sock.destroy();
        resolveAnswer(s);
      } catch {
        // not complete yet
      }
    });
    sock.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on("close", () => {
      clearTimeout(timer);
      reject(new Error(`closed without a complete answer (${Buffer.concat(chunks).length} bytes)`));
    });
  });
}
