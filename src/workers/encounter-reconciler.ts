import type { EncounterSaga } from "../features/sessions/encounter-saga.js";
import { PeriodicWorker } from "./periodic-worker.js";

/**
 * The Encounter saga's retry job (an Encounter missing after an end is reconciled within 5 minutes). Every
 * ENCOUNTER_RECONCILE_INTERVAL_MS it links the Encounter of ended sessions that still lack one;
 * replicas can all run it: each session is claimed with FOR UPDATE SKIP LOCKED.
 */
export function encounterReconciler(saga: EncounterSaga, intervalMs: number, onError: (err: unknown) => void, batch = 500) {
  // `batch` (ENCOUNTER_RECONCILE_BATCH) sessions at most per pass: sized in docs/operations.md.
  return new PeriodicWorker("encounter-reconciler", intervalMs, () => saga.reconcile(batch), onError);
}
