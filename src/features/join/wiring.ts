import type { HttpFeature } from "../../http/app.js";
import type { UnitOfWork } from "../../platform/ports.js";
import type { SharedDeps } from "../../platform/wiring.js";
import { AddParticipant } from "./add-participant.js";
import { AdmitParticipant } from "./admit-participant.js";
import { GetJoinStatus } from "./get-join-status.js";
import { GetJoinToken } from "./get-join-token.js";
import { GetParticipantList } from "./get-participant-list.js";
import { joinRoutes } from "./join-routes.js";
import { participantRoutes } from "./participant-routes.js";
import { BandwidthProbe } from "./bandwidth-probe.js";
import { liveRoutes } from "./live-routes.js";
import type { JoinQueries, JoinTokenSignerPort, ParticipantQueries, SessionChanges, VideoLinkSigner } from "./ports.js";
import { RemoveParticipant } from "./remove-participant.js";
import { ReportBandwidth } from "./report-bandwidth.js";
import { ValidateJoinToken } from "./validate-join-token.js";

export interface JoinDeps extends SharedDeps {
  uow: UnitOfWork;
  participantQueries: ParticipantQueries;
  joinQueries: JoinQueries;
  signer: JoinTokenSignerPort;
  video: VideoLinkSigner;
  /** `PUBLIC_BASE_URL`: where join links point. */
  publicBaseUrl: string;
  /** Wakes the waiting-room streams when a session changes. */
  changes: SessionChanges;
}

/** Participants and the join flow: staff manage who takes part; patients and guests join with a token. */
export function joinFeature(d: JoinDeps): { participants: HttpFeature; join: HttpFeature; live: HttpFeature } {
  const getParticipantList = new GetParticipantList({ queries: d.participantQueries, audit: d.audit });
  const getJoinStatus = new GetJoinStatus(d);
  return {
    participants: participantRoutes({
      getParticipantList,
      addParticipant: new AddParticipant(d),
      admitParticipant: new AdmitParticipant(d),
      removeParticipant: new RemoveParticipant(d),
    }),
    join: joinRoutes({
      validateJoinToken: new ValidateJoinToken(d),
      getJoinStatus,
      reportBandwidth: new ReportBandwidth(d),
      getJoinToken: new GetJoinToken(d),
    }),
    live: liveRoutes({ getJoinStatus, getParticipantList, probe: new BandwidthProbe(d), signer: d.signer, changes: d.changes }),
  };
}
