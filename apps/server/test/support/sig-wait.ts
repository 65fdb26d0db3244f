export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 10 ms until it holds; fails naming `what` after `timeoutMs`. */
export async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** Milliseconds since `started` (a `performance.now()` reading). */
export const since = (started: number) => performance.now() - started;

/** `promise`, or a failure naming `what` once `timeoutMs` passes first. */
export async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A call's outcome as a value, so a test can accept either a result or a given refusal. */
export function settle<T>(
  call: Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  return call.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/** MAX_BATCH_SIZE's default: the most calls one WebSocket message or HTTP batch may carry. */
export const MAX_CALLS_PER_MESSAGE = 20;

/**
 * Starts `calls` in order, back to back, at most `perMessage` within one turn. @trpc/client's
 * links send the calls made within one turn as one batch, and the server refuses a batch of more
 * than MAX_BATCH_SIZE calls (SPEC §6.1); one socket's messages keep their order.
 */
export async function startInBatches<T>(
  calls: (() => Promise<T>)[],
  perMessage = MAX_CALLS_PER_MESSAGE,
): Promise<Promise<T>[]> {
  const started: Promise<T>[] = [];
  for (let i = 0; i < calls.length; i += perMessage) {
    // wsLink flushes what was queued on a zero timeout; the next group waits for that flush.
    if (i > 0) await sleep(0);
    for (const call of calls.slice(i, i + perMessage)) started.push(call());
  }
  return started;
}
