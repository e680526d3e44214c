/** The kinds of host reservation identifier, as Kea names them (v4 and v6). */
export const IdentifierType = {
  HW_ADDRESS: "hw-address",
  DUID: "duid",
  CIRCUIT_ID: "circuit-id",
  CLIENT_ID: "client-id",
  FLEX_ID: "flex-id",
} as const;
export type IdentifierType = (typeof IdentifierType)[keyof typeof IdentifierType];
