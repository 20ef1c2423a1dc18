import { Type } from "@sinclair/typebox";
import { EXAMPLE_PATIENT, EXAMPLE_VIDEO_URL } from "../../platform/examples.js";
import { VideoJoinUrl } from "../../platform/schemas.js";
import { Participant } from "../../platform/session-view.js";

/** Shapes of admission (the rest of a participant's shapes are in platform/session-view.ts). */
export const AdmissionResponse = Type.Object(
  { participant: Type.Ref(Participant), videoJoinUrl: VideoJoinUrl },
  { examples: [{ participant: { ...EXAMPLE_PATIENT, status: "admitted", admittedAt: "2030-01-07T09:01:30.000Z" }, videoJoinUrl: EXAMPLE_VIDEO_URL }] },
);
