import type { HttpFeature } from "../../http/app.js";
import type { UnitOfWork } from "../../platform/ports.js";
import type { SharedDeps } from "../../platform/wiring.js";
import { GetAsyncVisitAttachment, ListPendingAsyncVisits } from "./list-pending-async-visits.js";
import type { AsyncVisitQueries, AsyncVisitTx, AttachmentStore, FileTypeDetector, OfflineQueuePort } from "./ports.js";
import { ReviewAsyncVisit } from "./review-async-visit.js";
import { asyncVisitRoutes } from "./routes.js";
import { ListOwnAsyncVisits } from "./list-own-async-visits.js";
import { ReplyToAsyncVisit } from "./reply-to-async-visit.js";
import { SubmitAsyncVisit } from "./submit-async-visit.js";

export interface AsyncVisitsDeps extends SharedDeps {
  uow: UnitOfWork<AsyncVisitTx>;
  files: FileTypeDetector;
  attachments: AttachmentStore;
  queue: OfflineQueuePort;
  queries: AsyncVisitQueries;
}

export function asyncVisitsFeature(d: AsyncVisitsDeps): HttpFeature {
  return asyncVisitRoutes(
    {
      submitAsyncVisit: new SubmitAsyncVisit(d),
      listPendingAsyncVisits: new ListPendingAsyncVisits(d),
      reviewAsyncVisit: new ReviewAsyncVisit(d),
      getAsyncVisitAttachment: new GetAsyncVisitAttachment(d),
      replyToAsyncVisit: new ReplyToAsyncVisit(d),
      listOwnAsyncVisits: new ListOwnAsyncVisits(d),
    },
    { clock: d.clock },
  );
}
