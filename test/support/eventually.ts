/**
 * Polls `fn` until it returns a value (anything but undefined, null or false) and returns it;
 * errors thrown meanwhile count as "not yet". Fails after `timeoutMs` naming what it waited for
 * and the last error.
 */
export async function eventually<T>(
  what: string,
  fn: () => Promise<T | undefined | null | false>,
  timeoutMs = 60_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== null && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`,
        { cause: last },
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
