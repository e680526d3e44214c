import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError, InvalidOperation, NestorError } from "../../../src/util/errors.ts";

test("a typed error is an instance of its class and of NestorError, with a stable code", () => {
  const err = new InvalidOperation("nope");
  assert.ok(err instanceof InvalidOperation);
  assert.ok(err instanceof NestorError);
  assert.ok(err instanceof Error);
  assert.ok(!(err instanceof ConfigError));
  assert.equal(err.code, "NESTOR_INVALID_OPERATION");
  assert.equal(err.name, "InvalidOperation");
});

test("instanceof holds across two copies of the same error class (the brand, not the prototype)", () => {
  class InvalidOperationCopy extends NestorError {}
  Object.defineProperty(InvalidOperationCopy, "name", { value: "InvalidOperation" });
  const foreign = new InvalidOperationCopy("from another copy");
  assert.ok(foreign instanceof InvalidOperation);
  assert.ok(!({ message: "plain" } instanceof InvalidOperation));
});

test("ConfigError names the file, the key path and the reason", () => {
  const err = new ConfigError("must be a map", "Dhcp4.hooks-libraries[0].parameters", "kea.json");
  assert.equal(err.message, "kea.json: Dhcp4.hooks-libraries[0].parameters: must be a map");
  assert.equal(err.file, "kea.json");
  assert.equal(err.path, "Dhcp4.hooks-libraries[0].parameters");
  assert.equal(err.reason, "must be a map");
});
