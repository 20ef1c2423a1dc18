import type { HttpFeature } from "../../http/app.js";
import type { SessionChanges, UnitOfWork } from "../../platform/ports.js";
import type { SharedDeps } from "../../platform/wiring.js";
import { GetJoinStatus } from "./get-join-status.js";
import { GetJoinToken } from "./get-join-token.js";
import { GetClinic } from "./get-clinic.js";
import { joinRoutes } from "./join-routes.js";
import { BandwidthProbe } from "./bandwidth-probe.js";
import { liveRoutes } from "./live-routes.js";
import type { JoinQueries, JoinTokenSignerPort, LinkRequestQueries, LinkRequestTx, VideoLinkSigner } from "./ports.js";
import { ListLinkRequests, ResolveLinkRequest } from "./link-requests.js";
import { linkRequestRoutes } from "./link-request-routes.js";
import { RequestNewLink } from "./request-new-link.js";
import { ReportBandwidth } from "./report-bandwidth.js";
import { ValidateJoinToken } from "./validate-join-token.js";

export interface JoinDeps extends SharedDeps {
  uow: UnitOfWork<LinkRequestTx>;
  /** The console's notice of patients asking for a new link. */
  linkRequestQueries: LinkRequestQueries;
  joinQueries: JoinQueries;
  signer: JoinTokenSignerPort;
  video: VideoLinkSigner;
  /** `PUBLIC_BASE_URL`: where join links point. */
  publicBaseUrl: string;
  /** Wakes the patient's stream when its session changes. */
  changes: SessionChanges;
}

/**
 * The join flow: patients and guests with a join token (validate, status, clinic, bandwidth, the
 * patient's stream and probes, asking for a new link); staff issue the tokens and read the link
 * requests. The edge has verified the token before any of these runs (src/http/participant-auth.ts).
 */
export function joinFeature(d: JoinDeps): { join: HttpFeature; events: HttpFeature; probe: HttpFeature; linkRequests: HttpFeature } {
  const getJoinStatus = new GetJoinStatus(d);
  const live = liveRoutes({ getJoinStatus, probe: new BandwidthProbe(d), changes: d.changes });
  return {
    join: joinRoutes({
      validateJoinToken: new ValidateJoinToken(d),
      getJoinStatus,
      reportBandwidth: new ReportBandwidth(d),
      getJoinToken: new GetJoinToken(d),
      getClinic: new GetClinic(d),
    }),
    events: live.events,
    probe: live.probe,
    linkRequests: linkRequestRoutes({
      requestNewLink: new RequestNewLink(d),
      listLinkRequests: new ListLinkRequests(d),
      resolveLinkRequest: new ResolveLinkRequest(d),
    }),
  };
}
