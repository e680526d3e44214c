/** A lifetime as Kea configures it: a default with optional min and max bounds (Kea's Triplet). */
export interface Triplet {
  min: number;
  default: number;
  max: number;
}
