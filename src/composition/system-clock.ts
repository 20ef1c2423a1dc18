import { randomUUID } from "node:crypto";
import type { Clock, IdGenerator } from "../platform/ports.js";

/** The wall clock: what the service runs on (tests hand `createService` their own). */
export const systemClock: Clock = { now: () => new Date() };

/** Random v4 UUIDs for every new id. */
export const uuids: IdGenerator = { uuid: () => randomUUID() };
