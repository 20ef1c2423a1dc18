import { useEffect, useState } from "preact/hooks";
import { api, type Credential, type Schema } from "../api.js";
import { t } from "../i18n.js";
import { problemMessage } from "../problem-message.js";

type Config = Schema["TenantConfig"];
type Backend = Config["videoBackends"][number];
type Branding = Config["branding"];

/**
 * Tenant settings for admins. Secrets are write-only: the field starts empty, and an empty field
 * is sent as no secret at all, which keeps the stored one (the service never returns it).
 */
export function Settings(props: { cred: Credential }) {
  const [config, setConfig] = useState<Config | null>(null);
  const [secrets, setSecrets] = useState<string[]>([]);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const load = async () => {
    const c = await api(props.cred, "GET", "/v1/tenant-config");
    setConfig(c);
    setSecrets(c.videoBackends.map(() => ""));
  };
  useEffect(() => void load().catch((e) => setMessage({ ok: false, text: problemMessage(e) })), []);
  if (!config) return message ? <p class="error">{message.text}</p> : null;

  const set = <K extends keyof Config>(k: K, v: Config[K]) => setConfig({ ...config, [k]: v });
  // Fields both providers have (and a JaaS backend's key id): the provider itself is not edited here.
  const setBackend = (i: number, patch: Partial<Pick<Backend, "domain" | "appId" | "healthUrl">> & { keyId?: string }) =>
    set("videoBackends", config.videoBackends.map((b, j) => (j === i ? ({ ...b, ...patch } as Backend) : b)));
  const save = async (e: Event) => {
    e.preventDefault();
    setMessage(null);
    const { licensed: _licensed, ...rest } = config;
    // The credential is `secret` (Jitsi's app secret) or `privateKey` (JaaS); left out, it is kept.
    const videoBackends = config.videoBackends.map((b, i) => {
      if (b.provider === "jaas") {
        const { privateKey: _k, ...kept } = b;
        return secrets[i] ? { ...kept, privateKey: secrets[i] } : kept;
      }
      const { secret: _s, ...kept } = b;
      return secrets[i] ? { ...kept, secret: secrets[i] } : kept;
    });
    const body = { ...rest, videoBackends };
    try {
      await api(props.cred, "PUT", "/v1/tenant-config", { body });
      await load();
      setMessage({ ok: true, text: t("settings.saved") });
    } catch (err) {
      setMessage({ ok: false, text: problemMessage(err) });
    }
  };
  // `unit` seconds per step shown: the link lifetime is stored in seconds but entered in minutes.
  const num = (k: "maxParticipants" | "joinTokenTtlSeconds" | "fallbackBandwidthKbps", min: number, max: number, unit = 1) => (
    <>
      <label for={`cfg-${k}`}>{t(`settings.${k}`)}</label>
      <input
        id={`cfg-${k}`}
        type="number"
        min={min / unit}
        max={max / unit}
        step={1}
        required
        value={Math.round(config[k] / unit)}
        onInput={(e) => set(k, Number((e.target as HTMLInputElement).value) * unit)}
      />
    </>
  );
  // The clinic's identity on the patient's pages; an empty field is sent as null (not shown).
  const brand = (k: keyof Branding, type: "text" | "url" | "tel" = "text", extra: Record<string, string> = {}) => (
    <>
      <label for={`brand-${k}`}>{t(`settings.branding.${k}`)}</label>
      <input
        id={`brand-${k}`}
        // Preact's types narrow `type` per literal; the three used here take the same attributes.
        type={type as "text"}
        {...extra}
        value={config.branding?.[k] ?? ""}
        onInput={(e) => set("branding", { ...config.branding, [k]: (e.target as HTMLInputElement).value || null })}
      />
    </>
  );
  const flag = (k: "waitingRoomEnabled" | "consentRequired" | "aiSummaryEnabled") => (
    <label class="row inline">
      <input type="checkbox" checked={config[k]} onChange={(e) => set(k, (e.target as HTMLInputElement).checked)} /> {t(`settings.${k}`)}
    </label>
  );

  return (
    <section aria-labelledby="settings-title">
      <h1 id="settings-title">{t("settings.title")}</h1>
      <p>{t(config.licensed ? "settings.licensed" : "settings.unlicensed")}</p>
      <form onSubmit={save}>
        {flag("waitingRoomEnabled")}
        {flag("consentRequired")}
        {flag("aiSummaryEnabled")}
        {num("maxParticipants", 2, 50)}
        {num("joinTokenTtlSeconds", 60, 86400, 60)}
        {num("fallbackBandwidthKbps", 1, 1_000_000)}
        <fieldset class="card">
          <legend>{t("settings.branding")}</legend>
          {brand("displayName", "text", { maxLength: "100" })}
          {brand("logoUrl", "url", { pattern: "https://.+" })}
          {brand("accentColor", "text", { pattern: "#[0-9A-Fa-f]{6}", placeholder: "#0b5394" })}
          {brand("contactPhone", "tel", { maxLength: "32" })}
          {brand("contactUrl", "url", { pattern: "https://.+" })}
        </fieldset>
        {config.videoBackends.map((b, i) => (
          <fieldset class="card">
            <legend>{t("settings.backend", { n: i + 1 })}</legend>
            <label for={`be-${i}-domain`}>{t("settings.domain")}</label>
            <input id={`be-${i}-domain`} required value={b.domain} onInput={(e) => setBackend(i, { domain: (e.target as HTMLInputElement).value })} />
            <label for={`be-${i}-app`}>{t("settings.appId")}</label>
            <input id={`be-${i}-app`} required value={b.appId} onInput={(e) => setBackend(i, { appId: (e.target as HTMLInputElement).value })} />
            {b.provider === "jaas" ? (
              <>
                <label for={`be-${i}-kid`}>{t("settings.keyId")}</label>
                <input id={`be-${i}-kid`} required value={b.keyId} onInput={(e) => setBackend(i, { keyId: (e.target as HTMLInputElement).value })} />
                <label for={`be-${i}-secret`}>{t("settings.privateKey")}</label>
                <textarea id={`be-${i}-secret`} rows={4} autocomplete="off" spellcheck={false} placeholder={t("settings.secretKept")} value={secrets[i]} onInput={(e) => setSecrets(secrets.map((s, j) => (j === i ? (e.target as HTMLTextAreaElement).value : s)))} />
              </>
            ) : (
              <>
                <label for={`be-${i}-secret`}>{t("settings.secret")}</label>
                <input id={`be-${i}-secret`} type="password" autocomplete="new-password" minLength={16} placeholder={t("settings.secretKept")} value={secrets[i]} onInput={(e) => setSecrets(secrets.map((s, j) => (j === i ? (e.target as HTMLInputElement).value : s)))} />
              </>
            )}
            <label for={`be-${i}-health`}>{t("settings.healthUrl")}</label>
            <input id={`be-${i}-health`} value={b.healthUrl ?? ""} onInput={(e) => setBackend(i, { healthUrl: (e.target as HTMLInputElement).value || null })} />
          </fieldset>
        ))}
        {message && (
          <p class={message.ok ? "notice" : "error"} role={message.ok ? "status" : "alert"}>
            {message.text}
          </p>
        )}
        <p>
          <button type="submit">{t("settings.save")}</button>
        </p>
      </form>
    </section>
  );
}
