/**
 * The hooks API version of this Nestor build, in two spellings of the same number:
 *
 * - HOOKS_API_VERSION, a semantic version. A library may export `hooksApi`, the semver range of
 *   API versions it supports (`"^1.0.0"`); the server refuses it when this version is outside
 *   the range. This is how a library installed as an npm package states what it was written for.
 * - HOOKS_VERSION, Kea's integer form (major * 10000 + minor * 100 + patch). A library's
 *   version() returns exactly this value, as in Kea (it imports the constant from
 *   "nestor/hooks", so it matches the server it runs in unless it bundled another copy of the API).
 */
export const HOOKS_API_VERSION = "1.0.0";

function integerForm(semver: string): number {
  const [major = 0, minor = 0, patch = 0] = semver.split(".").map(Number);
  return major * 10000 + minor * 100 + patch;
}

export const HOOKS_VERSION: number = integerForm(HOOKS_API_VERSION);
