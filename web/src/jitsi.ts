/**
 * The visit's Jitsi room as a cross-origin <iframe> of the video domain itself. No script from the
 * video domain ever runs in our origin (which holds every tenant's tokens in sessionStorage and the
 * offline queue in IndexedDB): a tenant's video domain is tenant-controlled, so it only ever gets a
 * frame of its own origin, sandboxed so it cannot navigate our page either.
 *
 * Jitsi reads config overrides and the user's display name from the URL's hash (values as JSON),
 * and, when the hash names an external-API id, talks to its parent over postMessage ("postis": a
 * `__ready__` handshake, then `message` events). We use that channel only to learn that the room
 * actually loaded and when the person hung up inside Jitsi; the end of a visit comes from our own
 * event stream, never from the frame.
 */

/**
 * `https://{domain}/{roomName}?jwt={jwt}` as the service hands it out; on JaaS the room is
 * `{AppID}/{room}` (8x8's IFrame API takes the same two-part name), so a `/` inside stays a path step.
 */
export function parseVideoUrl(url: string): { origin: string; domain: string; roomName: string; jwt: string } {
  const u = new URL(url);
  if (u.protocol !== "https:") throw new Error("video URL is not https");
  return { origin: u.origin, domain: u.host, roomName: decodeURIComponent(u.pathname.slice(1)), jwt: u.searchParams.get("jwt") ?? "" };
}

/** The name the service signed into the video JWT (`context.user.name`), which Jitsi shows. */
export function signedDisplayName(jwt: string): string | undefined {
  try {
    const part = jwt.split(".")[1] ?? "";
    const json = atob(part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "="));
    const name = (JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0)))) as { context?: { user?: { name?: unknown } } }).context?.user?.name;
    return typeof name === "string" && name ? name : undefined;
  } catch {
    return undefined;
  }
}

let nextId = 0;

/** The frame's address: the room with its JWT, and our overrides in the hash. */
export function videoFrameUrl(videoUrl: string, opts: { apiId: number; displayName?: string; lang?: string }): string {
  const { origin, roomName, jwt } = parseVideoUrl(videoUrl);
  const hash: Record<string, unknown> = {
    jitsi_meet_external_api_id: opts.apiId,
    // Our pre-call screen replaces Jitsi's own (both spellings: older and newer Jitsi releases).
    "config.prejoinConfig.enabled": false,
    "config.prejoinPageEnabled": false,
    "config.defaultLanguage": opts.lang,
    "userInfo.displayName": opts.displayName ?? signedDisplayName(jwt),
  };
  const params = Object.entries(hash)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${encodeURIComponent(JSON.stringify(v))}`)
    .join("&");
  const path = roomName.split("/").map(encodeURIComponent).join("/");
  return `${origin}/${path}?jwt=${encodeURIComponent(jwt)}#${params}`;
}

/** How long the room may take to start once its page has loaded (Jitsi's bundle runs before `load`). */
export const HANDSHAKE_MS = 8_000;
/** How long the page itself may take to load (Jitsi's bundle is megabytes; phones on 3G are slow). */
export const LOAD_MS = 60_000;

export interface VideoHandlers {
  displayName?: string;
  lang?: string;
  /** The room answered: Jitsi runs. */
  onReady?: () => void;
  /** The room did not start (domain down, blocked, not Jitsi); a later `onReady` may still follow. */
  onFailed?: () => void;
  /** The person hung up inside Jitsi. */
  onLeft?: () => void;
}

/** Opens the visit in `parent`; the returned function leaves it. */
export function openVideo(videoUrl: string, parent: HTMLElement, h: VideoHandlers): () => void {
  const { origin } = parseVideoUrl(videoUrl);
  const apiId = nextId++;
  const scope = `jitsi_meet_external_api_${apiId}`;
  const frame = document.createElement("iframe");
  frame.src = videoFrameUrl(videoUrl, { apiId, displayName: h.displayName, lang: h.lang });
  frame.title = "Jitsi Meet";
  frame.allow = "camera; microphone; display-capture; autoplay; clipboard-write; fullscreen";
  frame.referrerPolicy = "no-referrer";
  // No allow-top-navigation: the frame cannot send our page anywhere.
  frame.setAttribute("sandbox", "allow-scripts allow-same-origin allow-forms allow-popups allow-popups-to-escape-sandbox allow-modals allow-downloads");

  let ready = false;
  let answered = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const fail = () => !ready && h.onFailed?.();
  const arm = (ms: number) => {
    clearTimeout(timer);
    timer = setTimeout(fail, ms);
  };
  const post = (method: string, params: unknown = {}) =>
    frame.contentWindow?.postMessage(JSON.stringify({ postis: true, scope, method, params }), origin);

  const onMessage = (e: MessageEvent) => {
    // Only our frame, from the room's origin, on our channel; anything else is ignored.
    if (e.source !== frame.contentWindow || e.origin !== origin || typeof e.data !== "string") return;
    let m: { postis?: boolean; scope?: string; method?: string; params?: { type?: string; name?: string; data?: { name?: string } } };
    try {
      m = JSON.parse(e.data);
    } catch {
      return;
    }
    if (!m || m.postis !== true || m.scope !== scope) return;
    if (!ready) {
      ready = true;
      clearTimeout(timer);
      h.onReady?.();
    }
    // Answered once: Jitsi pings until answered and may answer our answer; a reply to every
    // `__ready__` could ping-pong forever.
    if (m.method === "__ready__" && !answered) {
      answered = true;
      post("__ready__");
    }
    const name = m.params?.data?.name ?? m.params?.name;
    if (m.method === "message" && name === "video-ready-to-close") h.onLeft?.();
  };
  addEventListener("message", onMessage);
  // `load` fires for error pages too: from then on a real room has a moment to say hello.
  frame.addEventListener("load", () => !ready && arm(HANDSHAKE_MS));
  arm(LOAD_MS);
  parent.append(frame);
  return () => {
    clearTimeout(timer);
    removeEventListener("message", onMessage);
    frame.remove();
  };
}
