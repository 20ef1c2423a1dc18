/** Ports of the AI visit summary: the gateway, the summary store and the chart. */
import type { AiSummary, SoapDraft } from "../../domain/ai-summary.js";
import type { CommandTx } from "../../platform/ports.js";

/** An OpenAI-compatible gateway (speech to text, then a structured SOAP draft). Throws on any failure. */
export interface AiGatewayPort {
  transcribe(audio: { data: Uint8Array; contentType: string }): Promise<string>;
  summarise(transcript: string): Promise<SoapDraft>;
}

export interface ChartDocumentRequest {
  summaryId: string;
  sessionId: string;
  patientId: string;
  providerId: string;
  /** Linked when the Encounter saga has already stored it. */
  encounterId: string | null;
  text: string;
  acceptedAt: Date;
}

/** The patient chart (FHIR DocumentReference, created conditionally on the summary id). Throws on failure. */
export interface ChartDocumentPort {
  /** The id of the one DocumentReference holding an accepted summary. */
  ensureDocumentReference(request: ChartDocumentRequest): Promise<string>;
}

export type AudioUpload = { data: Uint8Array; contentType: string };

export interface AiSummaryRepository {
  findBySession(tenantId: string, sessionId: string, options?: { lock?: boolean }): Promise<AiSummary | null>;
  findById(tenantId: string, id: string, options?: { lock?: boolean }): Promise<AiSummary | null>;
  /** The uploaded audio still waiting for transcription. */
  audio(tenantId: string, id: string): Promise<AudioUpload | null>;
  insert(summary: AiSummary, audio?: AudioUpload): Promise<void>;
  /** Optimistic save with its recorded events; `audio` replaces the stored audio, null clears it. */
  save(summary: AiSummary, expectedVersion: number, audio?: AudioUpload | null): Promise<void>;
  /** Locks one summary due for drafting (its session ended) that no other worker holds. */
  claimDue(now: Date): Promise<AiSummary | null>;
  /** Locks one accepted summary not yet in the chart, due now, that no other worker holds. */
  claimChartPending(now: Date, excludeIds: readonly string[]): Promise<AiSummary | null>;
}

export interface AiSummaryTx extends CommandTx {
  aiSummaries: AiSummaryRepository;
}
