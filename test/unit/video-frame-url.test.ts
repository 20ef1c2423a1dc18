import { describe, expect, it } from "vitest";
import { parseVideoUrl, videoFrameUrl } from "../../web/src/jitsi.js";

/** The patient page frames the room itself; on JaaS the room is `<AppID>/<room>` (issue 21 item 5). */
describe("the video frame's address", () => {
  it("when the room is a JaaS one under its AppID, then the frame opens that path (the slash is not escaped) with the JWT", () => {
    const url = "https://8x8.vc/vpaas-magic-cookie-1fc542a3e4414a44b2611668195e2bfe/vc-0123abcd?jwt=a.b.c";
    expect(parseVideoUrl(url).roomName).toBe("vpaas-magic-cookie-1fc542a3e4414a44b2611668195e2bfe/vc-0123abcd");
    const frame = new URL(videoFrameUrl(url, { apiId: 0 }));
    expect(frame.origin).toBe("https://8x8.vc");
    expect(frame.pathname).toBe("/vpaas-magic-cookie-1fc542a3e4414a44b2611668195e2bfe/vc-0123abcd");
    expect(frame.searchParams.get("jwt")).toBe("a.b.c");
  });

  it("when the room is a self-hosted one, then its address is unchanged", () => {
    const frame = new URL(videoFrameUrl("https://meet.example.org/vc-0123abcd?jwt=a.b.c", { apiId: 1 }));
    expect(frame.pathname).toBe("/vc-0123abcd");
  });
});
