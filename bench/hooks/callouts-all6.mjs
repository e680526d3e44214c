// A hook library for bench/dhcp6.ts --callouts all: one trivial synchronous callout on every
// DHCPv6 hook point of Kea 2.2's kea-dhcp6, each returning 0 (continue) at once. What it
// measures is what the dispatch itself costs a server on the real path.
import { HOOKS_VERSION } from "nestor/hooks";

export const version = () => HOOKS_VERSION;

export function dhcp6_srv_configured() {
  return 0;
}

export function buffer6_receive() {
  return 0;
}

export function pkt6_receive() {
  return 0;
}

export function subnet6_select() {
  return 0;
}

export function host6_identifier() {
  return 0;
}

export function lease6_select() {
  return 0;
}

export function lease6_renew() {
  return 0;
}

export function lease6_rebind() {
  return 0;
}

export function lease6_decline() {
  return 0;
}

export function lease6_release() {
  return 0;
}

export function leases6_committed() {
  return 0;
}

export function pkt6_send() {
  return 0;
}

export function buffer6_send() {
  return 0;
}

export function lease6_expire() {
  return 0;
}

export function lease6_recover() {
  return 0;
}
