// A hook library for bench/dhcp4.ts --callouts all: one trivial synchronous callout on every
// DHCPv4 hook point of Kea 2.2's kea-dhcp4, each returning 0 (continue) at once. What it
// measures is what the dispatch itself costs a server on the real path.
import { HOOKS_VERSION } from "nestor/hooks";

export const version = () => HOOKS_VERSION;

export function dhcp4_srv_configured() {
  return 0;
}

export function buffer4_receive() {
  return 0;
}

export function pkt4_receive() {
  return 0;
}

export function subnet4_select() {
  return 0;
}

export function host4_identifier() {
  return 0;
}

export function lease4_select() {
  return 0;
}

export function lease4_renew() {
  return 0;
}

export function lease4_release() {
  return 0;
}

export function lease4_decline() {
  return 0;
}

export function lease4_offer() {
  return 0;
}

export function leases4_committed() {
  return 0;
}

export function pkt4_send() {
  return 0;
}

export function buffer4_send() {
  return 0;
}

export function lease4_expire() {
  return 0;
}

export function lease4_recover() {
  return 0;
}
