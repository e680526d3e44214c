/**
 * The next step status a callout leaves for the server, with Kea's numbers
 * (CalloutHandle::CalloutNextStep). Each hook point documents which values it acts on; a value a
 * hook point does not list is treated as CONTINUE.
 */
export const NextStep = {
  CONTINUE: 0,
  SKIP: 1,
  DROP: 2,
  PARK: 3,
} as const;

export type NextStep = (typeof NextStep)[keyof typeof NextStep];

/** Kea's constant names, for code ported from C++ (`CalloutHandle::NEXT_STEP_SKIP`). */
export const NEXT_STEP_CONTINUE = NextStep.CONTINUE;
export const NEXT_STEP_SKIP = NextStep.SKIP;
export const NEXT_STEP_DROP = NextStep.DROP;
export const NEXT_STEP_PARK = NextStep.PARK;

export function isNextStep(value: unknown): value is NextStep {
  return value === 0 || value === 1 || value === 2 || value === 3;
}
