/**
 * LibraryHandle: what a library sees of the framework (passed to load(), returned by
 * CalloutHandle.getLibraryHandle()). It is defined in callout-handle.ts, next to the
 * CalloutHandle it refers to and that refers to it.
 */
export { LibraryHandle } from "./callout-handle.ts";
