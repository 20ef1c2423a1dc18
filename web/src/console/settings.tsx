import { useEffect, useState } from "preact/hooks";
import { api, type Credential } from "../api.js";
import { t } from "../i18n.js";

interface Backend {
  name: string;
  provider: "jitsi";
  domain: string;
  appId: string;
  secret?: string;
  healthUrl: string | null;
  maxConcurrentRooms: number | null;
}
interface Config {
  version: number;
  licensed: boolean;
  maxParticipants: number;
  waitingRoomEnabled: boolean;
  consentRequired: boolean;
  joinTokenTtlSeconds: number;
  fallbackBandwidthKbps: number;
  aiSummaryEnabled: boolean;
  videoBackends: Backend[];
}

/**
 * Tenant settings for admins. Secrets are write-only: the field starts empty, and an empty field
 * is sent as no secret at all, which keeps the stored one (the service never returns it).
 */
export function Settings(props: { cred: Credential }) {
  const [config, setConfig] = useState<Config | null>(null);
  const [secrets, setSecrets] = useState<string[]>([]);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const load = async () => {
    const c = await api<Config>(props.cred, "GET", "/v1/tenant-config");
    setConfig(c);
    setSecrets(c.videoBackends.map(() => ""));
  };
  useEffect(() => void load().catch((e) => setMessage({ ok: false, text: String(e) })), []);
  if (!config) return message ? <p class="error">{message.text}</p> : null;

  const set = <K extends keyof Config>(k: K, v: Config[K]) => setConfig({ ...config, [k]: v });
  const setBackend = (i: number, patch: Partial<Backend>) => set("videoBackends", config.videoBackends.map((b, j) => (j === i ? { ...b, ...patch } : b)));
  const save = async (e: Event) => {
    e.preventDefault();
    setMessage(null);
    const { licensed: _licensed, ...rest } = config;
    const body = { ...rest, videoBackends: config.videoBackends.map(({ secret: _s, ...b }, i) => (secrets[i] ? { ...b, secret: secrets[i] } : b)) };
    try {
      await api(props.cred, "PUT", "/v1/tenant-config", body);
      await load();
      setMessage({ ok: true, text: t("settings.saved") });
    } catch (err) {
      setMessage({ ok: false, text: String((err as { problem?: { detail?: string } }).problem?.detail ?? err) });
    }
  };
  const num = (k: "maxParticipants" | "joinTokenTtlSeconds" | "fallbackBandwidthKbps", min: number, max: number) => (
    <>
      <label for={`cfg-${k}`}>{t(`settings.${k}`)}</label>
      <input id={`cfg-${k}`} type="number" min={min} max={max} required value={config[k]} onInput={(e) => set(k, Number((e.target as HTMLInputElement).value))} />
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
        {num("joinTokenTtlSeconds", 60, 86400)}
        {num("fallbackBandwidthKbps", 1, 1_000_000)}
        {config.videoBackends.map((b, i) => (
          <fieldset class="card">
            <legend>{t("settings.backend", { n: i + 1 })}</legend>
            <label for={`be-${i}-domain`}>{t("settings.domain")}</label>
            <input id={`be-${i}-domain`} required value={b.domain} onInput={(e) => setBackend(i, { domain: (e.target as HTMLInputElement).value })} />
            <label for={`be-${i}-app`}>{t("settings.appId")}</label>
            <input id={`be-${i}-app`} required value={b.appId} onInput={(e) => setBackend(i, { appId: (e.target as HTMLInputElement).value })} />
            <label for={`be-${i}-secret`}>{t("settings.secret")}</label>
            <input id={`be-${i}-secret`} type="password" autocomplete="new-password" minLength={16} placeholder={t("settings.secretKept")} value={secrets[i]} onInput={(e) => setSecrets(secrets.map((s, j) => (j === i ? (e.target as HTMLInputElement).value : s)))} />
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
