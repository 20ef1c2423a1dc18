import { useEffect, useState } from "preact/hooks";
import { api, ApiError, type AnswerOf, type Credential } from "../api.js";
import { t } from "../i18n.js";
import { problemMessage } from "../problem-message.js";

const SECTIONS = ["subjective", "objective", "assessment", "plan"] as const;
type Soap = Record<(typeof SECTIONS)[number], string>;

type Summary = AnswerOf<"GET", "/v1/sessions/{id}/ai-summary">;

/** The text the chart gets when the clinician edited the draft: one heading per SOAP section. */
const asText = (soap: Soap) => SECTIONS.map((s) => `${t(`soap.${s}`)}: ${soap[s]}`).join("\n\n");

/** The review gate: nothing reaches the chart until a clinician accepts (or rejects) the draft. */
export function AiSummaryReview(props: { cred: Credential; sessionId: string }) {
  const path = { id: props.sessionId };
  const [summary, setSummary] = useState<Summary | null | "none">(null);
  const [soap, setSoap] = useState<Soap | null>(null);
  const [transcript, setTranscript] = useState("");
  const [reason, setReason] = useState("");
  const [error, setError] = useState<string | null>(null);

  const load = async () => {
    try {
      const s = await api(props.cred, "GET", "/v1/sessions/{id}/ai-summary", { path });
      setSummary(s);
      if (s.draft) setSoap((current) => current ?? s.draft);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) setSummary("none");
      else setError(problemMessage(err));
    }
  };
  // The draft is written by a background worker: look again while it is on its way.
  useEffect(() => {
    void load();
    const i = setInterval(() => {
      if (summary === "none" || summary === null || ["pending", "processing", "failed"].includes(summary.status)) void load();
    }, 2000);
    return () => clearInterval(i);
  }, [summary === "none" || summary === null ? "x" : summary.status]);

  const act = (fn: () => Promise<unknown>) => async (e?: Event) => {
    e?.preventDefault();
    setError(null);
    try {
      await fn();
      await load();
    } catch (err) {
      setError(problemMessage(err));
    }
  };
  const edited = soap && summary !== "none" && summary?.draft && SECTIONS.some((s) => soap[s] !== summary.draft![s]);

  return (
    <section aria-labelledby="ai-title" class="card" data-testid="ai-summary">
      <h2 id="ai-title">{t("ai.title")}</h2>
      {error && <p class="error" role="alert">{error}</p>}
      {summary === "none" && (
        <form onSubmit={act(() => api(props.cred, "POST", "/v1/sessions/{id}/ai-summary/transcript", { path, body: { text: transcript } }))}>
          <label for="ai-transcript">{t("ai.transcript")}</label>
          <textarea id="ai-transcript" rows={4} required value={transcript} onInput={(e) => setTranscript((e.target as HTMLTextAreaElement).value)} />
          <p>
            <button type="submit">{t("ai.request")}</button>
          </p>
        </form>
      )}
      {summary && summary !== "none" && (
        <p role="status" data-testid="ai-status" data-status={summary.status}>
          {t(`ai.status.${summary.status}`, { time: summary.nextAttemptAt ? new Date(summary.nextAttemptAt).toLocaleTimeString() : "" })}
        </p>
      )}
      {summary !== "none" && summary?.status === "ready" && soap && (
        <form onSubmit={act(() => api(props.cred, "POST", "/v1/sessions/{id}/ai-summary/accept", { path, body: edited ? { text: asText(soap) } : {} }))}>
          {SECTIONS.map((s) => (
            <>
              <label for={`soap-${s}`}>{t(`soap.${s}`)}</label>
              <textarea id={`soap-${s}`} rows={3} value={soap[s]} onInput={(e) => setSoap({ ...soap, [s]: (e.target as HTMLTextAreaElement).value })} />
            </>
          ))}
          <p class="row">
            <button type="submit">{t("ai.accept")}</button>
          </p>
          <label for="ai-reject-reason">{t("console.reason")}</label>
          <input id="ai-reject-reason" value={reason} maxLength={500} onInput={(e) => setReason((e.target as HTMLInputElement).value)} />
          <p>
            <button type="button" class="danger" onClick={act(() => api(props.cred, "POST", "/v1/sessions/{id}/ai-summary/reject", { path, body: reason ? { reason } : {} }))}>
              {t("ai.reject")}
            </button>
          </p>
        </form>
      )}
      {summary !== "none" && summary?.status === "accepted" && <p class="pre">{summary.acceptedText}</p>}
    </section>
  );
}
