/**
 * The clock statistics samples are stamped with. Outside a batch it is the wall clock, read at
 * each update; while a server processes a batch of received datagrams (the reply pipeline holds
 * it from before the first query to after the last reply is counted sent) it is the time read
 * once when the batch began, so that an exchange's dozen statistic updates (the received and
 * sent counters, the subnet's and pool's assigned and cumulative counts) cost no clock read each.
 * A batch lasts a millisecond or two: its samples carry the time its processing began.
 */
let held = 0;

/** Milliseconds since the epoch: the held batch time, else now. */
export function sampleNow(): number {
  return held === 0 ? Date.now() : held;
}

/** Reads the clock once; until release, every sample is stamped with that time. */
export function holdSampleClock(): void {
  held = Date.now();
}

/** Back to a clock read per sample. */
export function releaseSampleClock(): void {
  held = 0;
}
