/**
 * An option laid out by its definition: one value, an array of values, or a record of fields
 * (the last of which may repeat). OptionCustom and its field scanning are defined in
 * option-definition.ts, next to the OptionDefinition they refer to and that refers to them.
 */
export { OptionCustom, measureFields, scanFields } from "./option-definition.ts";
