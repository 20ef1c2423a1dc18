import type { HttpFeature } from "../../http/app.js";
import type { SessionChanges, UnitOfWork } from "../../platform/ports.js";
import { STREAM_RECHECK_MS } from "../../platform/session-watch.js";
import type { VideoLinkSigner } from "../../platform/video-access.js";
import type { SharedDeps } from "../../platform/wiring.js";
import { AddParticipant } from "./add-participant.js";
import { AdmitParticipant } from "./admit-participant.js";
import { GetParticipantList } from "./get-participant-list.js";
import { ParticipantFeed } from "./participant-feed.js";
import { participantRoutes } from "./participant-routes.js";
import { participantStreamRoutes } from "./participant-stream-routes.js";
import type { ParticipantQueries } from "./ports.js";
import { RemoveParticipant } from "./remove-participant.js";

export interface ParticipantsDeps extends SharedDeps {
  uow: UnitOfWork;
  queries: ParticipantQueries;
  /** Signs the admitted participant's video link. */
  video: VideoLinkSigner;
  /** Wakes the console's participant streams when a session changes. */
  changes: SessionChanges;
}

/** Staff manage who takes part: add, admit, remove, the list and its live stream (the console's waiting room). */
export function participantsFeature(d: ParticipantsDeps): { http: HttpFeature; stream: HttpFeature } {
  const getParticipantList = new GetParticipantList({ queries: d.queries, audit: d.audit });
  return {
    http: participantRoutes({
      getParticipantList,
      addParticipant: new AddParticipant(d),
      admitParticipant: new AdmitParticipant(d),
      removeParticipant: new RemoveParticipant(d),
    }),
    stream: participantStreamRoutes({
      getParticipantList,
      participantFeed: new ParticipantFeed({ queries: d.queries, changes: d.changes, recheckMs: STREAM_RECHECK_MS }),
    }),
  };
}
