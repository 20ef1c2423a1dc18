import { useEffect, useState } from "preact/hooks";
import { api, type Credential, type Schema } from "../api.js";
import { t } from "../i18n.js";

/** The clinic's identity (tenant branding): on every screen of the patient's page. */
export type Clinic = Schema["TenantConfig"]["branding"];

/** Read once per page; null while unknown, and for a link that does not verify (nothing is known). */
export function useClinic(cred: Credential): Clinic | null {
  const [clinic, setClinic] = useState<Clinic | null>(null);
  useEffect(() => {
    if (!cred.token) return;
    api(cred, "GET", "/v1/join/clinic").then(setClinic, () => setClinic(null));
  }, []);
  return clinic;
}

/** The clinic's logo and name in the page's bar, with its accent colour as the bar's edge. */
export function ClinicName(props: { clinic: Clinic | null }) {
  const c = props.clinic;
  if (!c?.displayName && !c?.logoUrl) return <strong>{t("video.title")}</strong>;
  return (
    <span class="clinic-name row" data-testid="clinic-name">
      {c.logoUrl && <img src={c.logoUrl} alt="" height={32} class="clinic-logo" referrerpolicy="no-referrer" />}
      <strong>{c.displayName ?? t("video.title")}</strong>
    </span>
  );
}

/** Whom to contact: the clinic's phone and web page, or — when nothing is known — general help. */
export function ClinicContact(props: { clinic: Clinic | null; unknown?: boolean }) {
  const c = props.clinic;
  if (props.unknown || !c || (!c.contactPhone && !c.contactUrl)) {
    return (
      <p class="muted" data-testid="clinic-contact">
        {t(props.unknown ? "clinic.unknown" : "clinic.noContact")}
      </p>
    );
  }
  return (
    <div class="notice" data-testid="clinic-contact">
      <p>{c.displayName ? t("clinic.contactNamed", { name: c.displayName }) : t("clinic.contact")}</p>
      <p class="row">
        {c.contactPhone && <a href={`tel:${c.contactPhone.replace(/[^0-9+]/g, "")}`}>{c.contactPhone}</a>}
        {c.contactUrl && (
          <a href={c.contactUrl} rel="noopener noreferrer" target="_blank">
            {t("clinic.website")}
          </a>
        )}
      </p>
    </div>
  );
}
