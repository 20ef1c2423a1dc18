/** Ports of the participants feature (staff manage who takes part): the participant list read. */
import type { Participant } from "../../domain/participant.js";

/** The participant list of a session (GetParticipantList); null when the tenant has no such session. */
export interface ParticipantQueries {
  participants(tenantId: string, sessionId: string): Promise<Participant[] | null>;
}
