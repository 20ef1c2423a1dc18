import { NO_BRANDING, type ClinicBranding } from "../../domain/tenant-config.js";
import type { JoinCredential } from "../../platform/join-credential.js";
import type { JoinQueries } from "./ports.js";

/**
 * The clinic's name, logo, colour and contact for the patient's pages — including every refusal
 * screen, so it answers any correctly signed token: expired, removed, of an ended or cancelled
 * visit. It tells the holder nothing the link did not already say (the link is from this clinic)
 * and nothing about the visit. A token that does not verify is refused (the page then says it
 * cannot tell which clinic the link is from). Not audited: no patient data, and every page load reads it.
 */
export class GetClinic {
  constructor(private readonly deps: { joinQueries: JoinQueries }) {}

  async execute({ claims }: JoinCredential): Promise<ClinicBranding> {
    const state = await this.deps.joinQueries.joinState(claims.tenantId, claims.sessionId, claims.participantId);
    return { ...NO_BRANDING, ...state?.config?.branding };
  }
}
