/** The Jitsi IFrame API, loaded from the session's own video domain (the page's CSP allows exactly it). */
interface JitsiApi {
  dispose(): void;
  addListener(event: string, fn: () => void): void;
}
declare global {
  interface Window {
    JitsiMeetExternalAPI?: new (domain: string, options: Record<string, unknown>) => JitsiApi;
  }
}

/** `https://{domain}/{roomName}?jwt={jwt}` as the service hands it out. */
export function parseVideoUrl(url: string): { domain: string; roomName: string; jwt: string } {
  const u = new URL(url);
  return { domain: u.host, roomName: decodeURIComponent(u.pathname.slice(1)), jwt: u.searchParams.get("jwt") ?? "" };
}

const loaded = new Map<string, Promise<void>>();

function loadScript(domain: string): Promise<void> {
  let p = loaded.get(domain);
  if (!p) {
    p = new Promise<void>((resolve, reject) => {
      const s = document.createElement("script");
      s.src = `https://${domain}/external_api.js`;
      s.onload = () => resolve();
      s.onerror = () => {
        loaded.delete(domain);
        reject(new Error("video script did not load"));
      };
      document.head.append(s);
    });
    loaded.set(domain, p);
  }
  return p;
}

/** Opens the visit in `parent`; the returned function leaves it. */
export async function openVideo(videoUrl: string, parent: HTMLElement, opts: { displayName?: string; onLeft?: () => void; lang?: string }): Promise<() => void> {
  const { domain, roomName, jwt } = parseVideoUrl(videoUrl);
  await loadScript(domain);
  const Api = window.JitsiMeetExternalAPI;
  if (!Api) throw new Error("video script did not load");
  const api = new Api(domain, {
    roomName,
    jwt,
    parentNode: parent,
    width: "100%",
    height: "100%",
    lang: opts.lang,
    userInfo: opts.displayName ? { displayName: opts.displayName } : undefined,
  });
  if (opts.onLeft) api.addListener("readyToClose", opts.onLeft);
  return () => api.dispose();
}
