/** The interface and socket layer the DHCP servers use. */
export * from "./packet-socket.ts";
export { NativePacketSocket, type NativeSocketOptions } from "./native-socket.ts";
export { DgramPacketSocket, type DgramSocketOptions } from "./dgram-socket.ts";
export { loadNative, type NativeBinding } from "./native.ts";
export { listInterfaces, type InterfaceAddress, type NetInterface } from "./interfaces.ts";
export {
  ALL_DHCP_RELAY_AGENTS_AND_SERVERS,
  DHCP4_SERVER_PORT,
  DHCP6_SERVER_PORT,
  IfaceManager,
  type IfaceBatchHandler,
  type IfaceManagerOptions,
  type InterfacesConfig,
  type ServedInterface,
} from "./iface-manager.ts";
