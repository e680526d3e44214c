/**
 * `nestor/dhcp4`: what a hook library for nestor-dhcp4 needs beyond `nestor/hooks`: the lease
 * and subnet types its callouts receive, and (by importing this module, even type-only) the
 * argument types of every v4 hook point, so `CalloutHandle<"pkt4_receive">` is fully typed.
 */
import "./hook-points.ts";

export { DHCP4_HOOK_NAMES, type Dhcp4HookName } from "./hook-points.ts";
export { Lease4, LeaseState, INFINITY_LFT } from "../dhcpsrv/leases/lease4.ts";
export { Subnet4, Pool4 } from "../dhcpsrv/model/subnet4.ts";
export type { SharedNetwork } from "../dhcpsrv/model/shared-network.ts";
export { Host4, IdentifierType } from "../dhcpsrv/model/host4.ts";
export { Dhcp4ServerAccess, dhcp4Server } from "./server-access.ts";
export type { LeaseStore4 } from "../dhcpsrv/leases/lease-store4.ts";
export {
  compileExpression,
  compileStringExpression,
  EvalTypeError,
  ExpressionError,
} from "../dhcpsrv/classify/expression.ts";
export type {
  BoolFn,
  CompiledExpression,
  CompiledStringExpression,
  CompileOptions,
  StringFn,
} from "../dhcpsrv/classify/expression.ts";
