/**
 * Kea's `pattern` output option (src/log/pattern.ts): log4cplus conversions with their width and
 * alignment, strftime directives in %d/%D, and a refusal naming what is not supported.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { hostname } from "node:os";
import {
  compilePattern,
  DEFAULT_PATTERN,
  DEFAULT_SYSLOG_PATTERN,
  PatternError,
  type LogEvent,
} from "../../../src/log/pattern.ts";

// 2026-03-04 05:06:07.089 UTC, a Wednesday, day 63 of the year.
const TIME = new Date(Date.UTC(2026, 2, 4, 5, 6, 7, 89));
const EVENT: LogEvent = {
  time: TIME,
  severity: "INFO",
  logger: "nestor-dhcp4.dhcpsrv",
  id: "DHCPSRV_X",
  text: "a text",
  message: "DHCPSRV_X a text",
};

test("the default pattern gives Kea's line: local time with milliseconds, padded severity, logger/pid", () => {
  const line = compilePattern(DEFAULT_PATTERN)(EVENT);
  const t = TIME;
  const p = (n: number) => String(n).padStart(2, "0");
  const local =
    `${t.getFullYear()}-${p(t.getMonth() + 1)}-${p(t.getDate())} ` +
    `${p(t.getHours())}:${p(t.getMinutes())}:${p(t.getSeconds())}.089`;
  assert.equal(line, `${local} INFO  [nestor-dhcp4.dhcpsrv/${process.pid}] DHCPSRV_X a text\n`);
  assert.equal(
    compilePattern(DEFAULT_SYSLOG_PATTERN)(EVENT),
    "INFO  [nestor-dhcp4.dhcpsrv] DHCPSRV_X a text\n",
  );
});

test("%d is UTC and takes Kea's strftime directives, %q milliseconds and %Q microseconds", () => {
  assert.equal(
    compilePattern("%d{%Y-%m-%d %H:%M:%S.%q|%y %j %a %A %b %B %w %I %p %Q %%}")(EVENT),
    "2026-03-04 05:06:07.089|26 063 Wed Wednesday Mar March 3 05 AM 089.000 %",
  );
  assert.equal(compilePattern("%d")(EVENT), "2026-03-04 05:06:07");
  assert.equal(compilePattern("%d{%x %X %U %W}")(EVENT), "03/04/26 05:06:07 09 09");
  assert.equal(compilePattern("%d{%c}")(EVENT), "Wed Mar  4 05:06:07 2026");
});

test("conversions: %p %c %c{n} %i %t %h %m %n %% and width, alignment and truncation", () => {
  const f = compilePattern("%-7p|%7p|%c{1}|%c|%i|%t|%h|%m%n%%|%.5m|%-12.4c|");
  assert.equal(
    f(EVENT),
    `INFO   |   INFO|dhcpsrv|nestor-dhcp4.dhcpsrv|${process.pid}|${process.pid}|${hostname()}|` +
      "DHCPSRV_X a text\n%| text|psrv        |",
  );
  assert.equal(compilePattern("plain text, no directive")(EVENT), "plain text, no directive");
  assert.match(compilePattern("%r")(EVENT), /^\d+$/);
});

test("an unsupported directive is refused by name", () => {
  assert.throws(() => compilePattern("%D %-5p %l %m\n"), {
    name: "Error",
    message: 'pattern "%D %-5p %l %m\n": unsupported directive %l',
  });
  assert.throws(() => compilePattern("%X{key} %m"), PatternError);
  assert.throws(() => compilePattern("%d{%Y %k} %m"), {
    message: 'pattern "%d{%Y %k} %m": unsupported date directive %k in "%Y %k"',
  });
  assert.throws(() => compilePattern("%m %"), /a % at offset 3 has no directive/);
  assert.throws(() => compilePattern("%c{0} %m"), /%c\{0\} needs a positive number/);
});
