/**
 * What an SSE response has delivered so far: `until` reads on until the text matches (true) or
 * the stream ends without it (false); `received` is everything read.
 */
export function streamText(res: Response): { until(pattern: RegExp): Promise<boolean>; readonly received: string; cancel(): Promise<void> } {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let received = "";
  return {
    async until(pattern) {
      while (!pattern.test(received)) {
        const { value, done } = await reader.read();
        if (done) break;
        received += value;
      }
      return pattern.test(received);
    },
    get received() {
      return received;
    },
    cancel: () => reader.cancel(),
  };
}
