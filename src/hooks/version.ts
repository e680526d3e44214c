/**
 * The hooks API version of this Nestor build. A library's version() must return exactly this
 * value (it imports the constant from "nestor/hooks", so a library always matches the server
 * it runs in unless it bundled another copy of the API). major * 10000 + minor * 100 + patch.
 */
export const HOOKS_VERSION = 100;
