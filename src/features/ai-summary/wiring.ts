import type { HttpFeature } from "../../http/app.js";
import type { SystemUnitOfWork, UnitOfWork } from "../../platform/ports.js";
import type { SharedDeps } from "../../platform/wiring.js";
import { AcceptAiSummary } from "./accept-ai-summary.js";
import { AiSummaryPipeline } from "./ai-summary-pipeline.js";
import { aiSummaryWorker } from "../../workers/ai-summary-worker.js";
import type { PeriodicWorker } from "../../workers/periodic-worker.js";
import { GetAiSummary } from "./get-ai-summary.js";
import type { AiGatewayPort, AiSummaryTx, ChartDocumentPort } from "./ports.js";
import { RejectAiSummary } from "./reject-ai-summary.js";
import { RequestAiSummary } from "./request-ai-summary.js";
import { aiSummaryRoutes } from "./routes.js";

export interface AiSummaryDeps extends SharedDeps {
  uow: UnitOfWork<AiSummaryTx>;
  /** Only the worker's claims of the next due draft or chart push run across tenants. */
  system: SystemUnitOfWork<AiSummaryTx>;
  /** Null when no AI gateway is configured (AI_GATEWAY_URL unset): the routes answer 403. */
  gateway: AiGatewayPort | null;
  chart: ChartDocumentPort;
}

/** The AI summary feature: its routes, and the background worker that runs its pipeline (not started). */
export function aiSummaryFeature(d: AiSummaryDeps): { http: HttpFeature; pipeline: AiSummaryPipeline; worker: PeriodicWorker<{ drafted: number; failed: number; charted: number }> } {
  const pipeline = new AiSummaryPipeline({
    uow: d.uow,
    system: d.system,
    ai: d.gateway,
    chart: d.chart,
    clock: d.clock,
    onFailure: (summaryId, step, err) => d.report("AI summary step failed; it is retried", { summaryId, step }, err),
  });
  const worker = aiSummaryWorker(pipeline, (err) => d.report("worker run failed", { worker: "ai-summary" }, err));
  // Uploads and accepts start drafting soon, off the request path.
  const kick = () => worker.kick();
  const http = aiSummaryRoutes({
    requestAiSummary: new RequestAiSummary({ ...d, kick, gatewayConfigured: d.gateway !== null }),
    getAiSummary: new GetAiSummary(d),
    acceptAiSummary: new AcceptAiSummary({ ...d, pipeline }),
    rejectAiSummary: new RejectAiSummary(d),
  });
  return { http, pipeline, worker };
}
