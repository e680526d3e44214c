export { Observation, StatType, formatTime } from "./observation.ts";
export type { Sample, StatValue } from "./observation.ts";
export { StatsManager, subnetStatName, poolStatName } from "./stats-manager.ts";
