import type { AiSummaryPipeline } from "../features/ai-summary/ai-summary-pipeline.js";
import { PeriodicWorker } from "./periodic-worker.js";

/** How often due drafts and pending chart pushes are looked for (uploads and ends also kick it). */
export const AI_SUMMARY_POLL_MS = 15_000;

/** Drafts summaries (with backoff after gateway failures) and pushes accepted ones to the chart. */
export function aiSummaryWorker(pipeline: AiSummaryPipeline, onError: (err: unknown) => void, intervalMs = AI_SUMMARY_POLL_MS) {
  return new PeriodicWorker("ai-summary", intervalMs, () => pipeline.runPass(), onError);
}
