/** The wire layer's public API: packets, options, definitions and configuration conversion. */
export { PacketParseError, OptionDataError, BadValue } from "./errors.ts";
export * from "./constants.ts";
export {
  ipv4ToString,
  ipv4FromString,
  isIPv4,
  ipv6ToString,
  ipv6FromString,
  isIPv6,
  canonicalIPv6,
  toHex,
  toColonHex,
  decodeFormattedHex,
} from "./ioaddress.ts";
export { HWAddr, HType, MAX_HWADDR_LEN } from "./hwaddr.ts";
export { DUID, ClientId, DuidType, DUID_TIME_EPOCH } from "./duid.ts";
export type { DuidInfo, DuidTypeValue } from "./duid.ts";
export { Option, Universe } from "./option.ts";
export type { UniverseValue } from "./option.ts";
export { OptionCustom } from "./option-custom.ts";
export { Option6IA, Option6IAAddr, Option6IAPrefix } from "./option6-ia.ts";
export { Option6StatusCode, StatusCode } from "./option6-status-code.ts";
export { OptionVendor } from "./option-vendor.ts";
export { OptionClientFqdn, FqdnFlag } from "./option-client-fqdn.ts";
export {
  OptionDataType,
  isOptionDataType,
  lenientOptionParsing,
  setLenientOptionParsing,
} from "./option-data-types.ts";
export type {
  OptionDataTypeName,
  OptionValue,
  PrefixValue,
  PsidValue,
} from "./option-data-types.ts";
export { OptionDefinition } from "./option-definition.ts";
export type { OptionDefLookup, OptionDefParams, OptionDefConfig } from "./option-definition.ts";
export {
  OptionDefinitions,
  getStdOptionDefs,
  getLastResortOptionDefs,
  getStdOptionSpaces,
  DHCP_AGENT_OPTION_SPACE,
} from "./std-option-defs.ts";
export {
  unpackOptions,
  vendorSpace,
  MAX_OPTION_DEPTH,
  DHCP4_OPTION_SPACE,
  DHCP6_OPTION_SPACE,
  VENDOR_ENCAPSULATED_OPTION_SPACE,
} from "./libdhcp.ts";
export { Pkt, ScopedEnableOptionsCopy, withOptionsCopy } from "./pkt.ts";
export { Pkt4 } from "./pkt4.ts";
export { Pkt4o6, D6O_DHCPV4_MSG, D6O_DHCP4O6_SERVER_ADDR } from "./pkt4o6.ts";
export { Pkt6, RelayInfo, RelaySearchOrder } from "./pkt6.ts";
export type { RelaySearchOrderValue } from "./pkt6.ts";
export {
  optionFromConfig,
  optionToConfig,
  optionToConfigList,
  optionDefFromConfig,
  splitCsv,
} from "./option-data.ts";
export type { OptionDataConfig, OptionDescriptor, OptionDataContext } from "./option-data.ts";
