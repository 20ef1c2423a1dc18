import type { HttpFeature } from "../../http/app.js";
import type { SystemUnitOfWork, TenantConfigRepository, UnitOfWork } from "../../platform/ports.js";
import type { SharedDeps } from "../../platform/wiring.js";
import { CancelSession } from "./cancel-session.js";
import { CreateVirtualSession } from "./create-session.js";
import { EncounterSaga } from "./encounter-saga.js";
import { EndSession, type AfterSessionEnded } from "./end-session.js";
import { GetSessionDetail } from "./get-session-detail.js";
import { GetSessionList } from "./get-session-list.js";
import { InitiateFallback } from "./initiate-fallback.js";
import type {
  ConsentCheckPort,
  EncounterPort,
  RoomProvisioner,
  SessionQueries,
  SessionsTx,
  TenantSessionChanges,
  VideoProviderHealthPort,
  WaitingBoardQueries,
} from "./ports.js";
import { sessionRoutes } from "./routes.js";
import { WaitingBoardHub } from "./waiting-board-hub.js";
import { waitingBoardRoutes } from "./waiting-board-routes.js";
import { WatchWaitingBoard } from "./watch-waiting-board.js";
import { RememberedTenantConfigs } from "../../platform/remembered-tenant-configs.js";

/** Unwoken, the waiting board re-reads about this often (only a wake lost with a crashed replica needs it). */
const WAITING_BOARD_RECHECK_MS = 60_000;

export interface SessionsDeps extends SharedDeps {
  uow: UnitOfWork<SessionsTx>;
  /** Only the Encounter reconciler's claim of the next pending session runs across tenants. */
  system: SystemUnitOfWork<SessionsTx>;
  queries: SessionQueries;
  tenantConfigs: TenantConfigRepository;
  consent: ConsentCheckPort;
  videoHealth: VideoProviderHealthPort;
  rooms: RoomProvisioner;
  encounters: EncounterPort;
  /** Further steps after a committed end (the Encounter saga always runs first). */
  afterEnded: AfterSessionEnded[];
  /** The console's live list: who is waiting, read once per change per tenant. */
  waitingBoard: { queries: WaitingBoardQueries; changes: TenantSessionChanges };
}

/** The sessions feature: its routes, the Encounter saga (for the reconciler) and its commands on another unit of work. */
export function sessionsFeature(d: SessionsDeps) {
  const encounterSaga = new EncounterSaga({
    uow: d.uow,
    system: d.system,
    fhir: d.encounters,
    clock: d.clock,
    onFailure: (sessionId, err) => d.report("FHIR Encounter not created yet; the reconciler retries", { sessionId }, err),
  });
  // Per process, shared by every unit of work's create: the config each tenant's last create read.
  const tenantConfigs = new RememberedTenantConfigs(d.tenantConfigs);
  const commandsOn = <Tx extends SessionsTx>(uow: UnitOfWork<Tx>) => ({
    create: new CreateVirtualSession({ ...d, tenantConfigs, uow, video: d.rooms }),
    cancel: new CancelSession({ uow, audit: d.audit, clock: d.clock }),
  });
  const own = commandsOn(d.uow);
  const command = { uow: d.uow, audit: d.audit, clock: d.clock };
  const http: HttpFeature = sessionRoutes({
    createSession: own.create,
    getSessionList: new GetSessionList(d),
    getSessionDetail: new GetSessionDetail(d),
    endSession: new EndSession(command, [encounterSaga.afterEnded, ...d.afterEnded]),
    cancelSession: own.cancel,
    initiateFallback: new InitiateFallback(command),
  });
  const hub = new WaitingBoardHub({
    ...d.waitingBoard,
    recheckMs: WAITING_BOARD_RECHECK_MS,
    onError: (err) => d.report("waiting board read failed; the next change or re-check reads again", {}, err),
  });
  const board: HttpFeature = waitingBoardRoutes(new WatchWaitingBoard({ hub, audit: d.audit }));
  return { http, board, encounterSaga, commandsOn };
}
