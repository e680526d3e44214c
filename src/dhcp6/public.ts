/**
 * `nestor/dhcp6`: what a hook library for nestor-dhcp6
 * needs beyond `nestor/hooks`: the lease and subnet types its callouts receive, and (by
 * importing this module, even type-only) the argument types of every v6 hook point, so
 * `CalloutHandle<"lease6_select">` is fully typed.
 */
import "./hook-points.ts";

export { DHCP6_HOOK_NAMES, type Dhcp6HookName } from "./hook-points.ts";
export { Lease6, LeaseType6, LeaseState, INFINITY_LFT } from "../dhcpsrv/leases/lease6.ts";
export { Subnet6, Pool6, PdPool6 } from "../dhcpsrv/model/subnet6.ts";
export type { SharedNetwork } from "../dhcpsrv/model/shared-network.ts";
export { Host6 } from "../dhcpsrv/model/host6.ts";
export { Dhcp6ServerAccess, dhcp6Server } from "./server-access.ts";
export type { LeaseStore6 } from "../dhcpsrv/leases/lease-store6.ts";
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
