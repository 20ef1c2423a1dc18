import { Type } from "@sinclair/typebox";
import { participantRoles } from "../../domain/participant.js";
import { sessionStatuses } from "../../domain/session.js";
import { MAX_JOIN_TOKEN_LENGTH } from "../../platform/join-credential.js";
import { DateTime, OneOf, VideoJoinUrl, WrittenDateTime } from "../../platform/schemas.js";
import { EXAMPLE_IDS, EXAMPLE_JOIN_TOKEN } from "../../platform/examples.js";

/** Shapes of the join routes (patients and guests with a join token). */
const JoinTokenString = Type.String({ maxLength: MAX_JOIN_TOKEN_LENGTH, description: "the opaque join token", examples: [EXAMPLE_JOIN_TOKEN] });

export const JoinTokenHeaders = Type.Object({ "x-join-token": Type.Optional(JoinTokenString) });
export const ValidateJoinBody = Type.Object(
  { token: Type.Optional(JoinTokenString) },
  { additionalProperties: false, description: "The token here or in `X-Join-Token`", examples: [{ token: EXAMPLE_JOIN_TOKEN }] },
);
export const BandwidthBody = Type.Object(
  {
    kbps: Type.Number({ minimum: 0, maximum: 10_000_000 }),
    token: Type.Optional(JoinTokenString),
    videoAnyway: Type.Optional(
      Type.Boolean({ description: "below the threshold, the participant chose video anyway: recorded for the clinician, no fallback" }),
    ),
  },
  { additionalProperties: false, examples: [{ kbps: 2450.5 }] },
);

export const JoinTokenResponse = Type.Object(
  {
    token: Type.String(),
    expiresAt: DateTime,
    joinUrl: Type.String({ description: "`${PUBLIC_BASE_URL}/join?token=…`, the link sent to the participant" }),
  },
  {
    examples: [
      {
        token: EXAMPLE_JOIN_TOKEN,
        expiresAt: "2030-01-07T10:00:00.000Z",
        joinUrl: `https://care.example.org/join?token=${EXAMPLE_JOIN_TOKEN}`,
      },
    ],
  },
);
export const ValidationResponse = Type.Object(
  {
    destination: Type.Union([Type.Literal("waiting_room"), Type.Literal("direct_join")]),
    sessionId: Type.String({ format: "uuid" }),
    participantId: Type.String({ format: "uuid" }),
    role: OneOf(participantRoles),
    videoJoinUrl: Type.Optional(VideoJoinUrl),
  },
  { examples: [{ destination: "waiting_room", sessionId: EXAMPLE_IDS.session, participantId: EXAMPLE_IDS.patientParticipant, role: "patient" }] },
);
export const JoinStatusResponse = Type.Object(
  {
    participantStatus: OneOf(["invited", "waiting", "admitted"] as const),
    sessionStatus: OneOf(sessionStatuses),
    videoJoinUrl: Type.Optional(VideoJoinUrl),
    waitingSince: Type.Optional({ ...WrittenDateTime, description: "when the participant entered the waiting room (server time)" }),
    fallbackBandwidthKbps: Type.Number({ description: "the tenant's threshold: below it the visit is written, not video" }),
    serverTime: { ...WrittenDateTime, description: "the server's clock when it answered: the page counts the wait from it" },
  },
  {
    $id: "JoinStatus",
    description: "Where a participant and their visit stand (the waiting-room poll, and the patient's event stream)",
    examples: [
      {
        participantStatus: "waiting",
        sessionStatus: "scheduled",
        waitingSince: "2030-01-07T08:58:41.000Z",
        fallbackBandwidthKbps: 150,
        serverTime: "2030-01-07T09:01:05.000Z",
      },
    ],
  },
);

const Shown = (description: string) => Type.Union([Type.String(), Type.Null()], { description });
/** The clinic's identity as the patient's pages show it (the tenant config's `branding`). */
export const ClinicResponse = Type.Object(
  {
    displayName: Shown("the clinic's name"),
    logoUrl: Shown("https URL of the logo"),
    accentColor: Shown("#rrggbb"),
    contactPhone: Shown("a phone number patients may call"),
    contactUrl: Shown("https URL of the clinic's contact page"),
  },
  {
    examples: [
      { displayName: "Riverside Family Clinic", logoUrl: "https://care.example.org/logo.png", accentColor: "#0b6e4f", contactPhone: "+1 555 0100", contactUrl: null },
    ],
  },
);
