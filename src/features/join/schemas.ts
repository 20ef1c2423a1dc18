import { Type } from "@sinclair/typebox";
import { participantRoles } from "../../domain/participant.js";
import { sessionStatuses } from "../../domain/session.js";
import { DateTime, OneOf } from "../../platform/schemas.js";
import { Participant } from "../../platform/session-view.js";

/** Shapes of the join routes (patients and guests with a join token) and of admission. */
const JoinTokenString = Type.String({ maxLength: 4096, description: "the opaque join token" });
const VideoJoinUrl = Type.String({ description: "https://{domain}/{roomName}?jwt={jwt} — only ever for an admitted participant" });

export const JoinTokenHeaders = Type.Object({ "x-join-token": Type.Optional(JoinTokenString) });
export const ValidateJoinBody = Type.Object({ token: Type.Optional(JoinTokenString) }, { additionalProperties: false });
export const BandwidthBody = Type.Object(
  { kbps: Type.Number({ minimum: 0, maximum: 10_000_000 }), token: Type.Optional(JoinTokenString) },
  { additionalProperties: false },
);

export const JoinTokenResponse = Type.Object({
  token: Type.String(),
  expiresAt: DateTime,
  joinUrl: Type.String({ description: "`${PUBLIC_BASE_URL}/join?token=…`, the link sent to the participant" }),
});
export const ValidationResponse = Type.Object({
  destination: Type.Union([Type.Literal("waiting_room"), Type.Literal("direct_join")]),
  sessionId: Type.String({ format: "uuid" }),
  participantId: Type.String({ format: "uuid" }),
  role: OneOf(participantRoles),
  videoJoinUrl: Type.Optional(VideoJoinUrl),
});
export const JoinStatusResponse = Type.Object({
  participantStatus: OneOf(["invited", "waiting", "admitted"] as const),
  sessionStatus: OneOf(sessionStatuses),
  videoJoinUrl: Type.Optional(VideoJoinUrl),
});
export const AdmissionResponse = Type.Object({ participant: Type.Ref(Participant), videoJoinUrl: VideoJoinUrl });
