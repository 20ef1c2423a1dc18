import type { HttpFeature } from "../../http/app.js";
import type { Actor, UnitOfWork } from "../../platform/ports.js";
import type { SharedDeps } from "../../platform/wiring.js";
import { GetAsyncVisitAttachment, ListPendingAsyncVisits } from "./list-pending-async-visits.js";
import type { AsyncVisitQueries, AsyncVisitTx, AttachmentStore, FileTypeDetector, OfflineQueuePort } from "./ports.js";
import { ReviewAsyncVisit } from "./review-async-visit.js";
import { asyncVisitRoutes } from "./routes.js";
import { SubmitAsyncVisit } from "./submit-async-visit.js";

export interface AsyncVisitsDeps extends SharedDeps {
  uow: UnitOfWork<AsyncVisitTx>;
  files: FileTypeDetector;
  attachments: AttachmentStore;
  queue: OfflineQueuePort;
  queries: AsyncVisitQueries;
  /** The patient path: a join token read into its participant (throws when invalid or expired). */
  participantFromJoinToken: (token: string) => Actor;
}

export function asyncVisitsFeature(d: AsyncVisitsDeps): HttpFeature {
  return asyncVisitRoutes(
    {
      submitAsyncVisit: new SubmitAsyncVisit(d),
      listPendingAsyncVisits: new ListPendingAsyncVisits(d),
      reviewAsyncVisit: new ReviewAsyncVisit(d),
      getAsyncVisitAttachment: new GetAsyncVisitAttachment(d),
    },
    { participantFromJoinToken: d.participantFromJoinToken },
  );
}
