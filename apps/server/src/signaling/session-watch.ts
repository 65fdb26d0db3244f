/** Past the longest access-token lifetime, a session that ended has no live token left. */
const FORGET_ENDED_AFTER_MS = 86_400_000;

/**
 * What this instance knows of the sessions its WebSockets speak for, between two looks at the
 * database: which sessions ended lately (revoked, expired or idle; told by the bus or found by a
 * re-check), and which sessions sockets have proven and keep using without asking the database
 * again. The periodic re-check (signaling/instances.ts) covers these as well as the sessions of
 * open subscriptions, so a socket never outlives its session by more than one interval, even
 * when a bus notification was lost.
 */
export class SessionWatch {
  private readonly ended = new Map<string, number>();
  /** Proven sessions: how many sockets hold each, and whether one was used since the last look. */
  private readonly held = new Map<string, { holders: number; used: boolean }>();

  markEnded(sessionIds: Iterable<string>): void {
    const now = Date.now();
    if (this.ended.size > 10_000) {
      for (const [id, at] of this.ended)
        if (now - at > FORGET_ENDED_AFTER_MS) this.ended.delete(id);
    }
    for (const id of sessionIds) this.ended.set(id, now);
  }

  hasEnded(sessionId: string): boolean {
    return this.ended.has(sessionId);
  }

  /** A socket relies on `sessionId` until the returned release is called (once is enough). */
  hold(sessionId: string): () => void {
    const entry = this.held.get(sessionId) ?? { holders: 0, used: true };
    entry.holders += 1;
    this.held.set(sessionId, entry);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      entry.holders -= 1;
      if (entry.holders === 0 && this.held.get(sessionId) === entry) this.held.delete(sessionId);
    };
  }

  /** A call went through on a held session without the database: it counts as use (idle expiry). */
  noteUse(sessionId: string): void {
    const entry = this.held.get(sessionId);
    if (entry) entry.used = true;
  }

  /** Every held session, and those used since the last call (whose flags are cleared). */
  takeHeld(): { all: string[]; used: string[] } {
    const all: string[] = [];
    const used: string[] = [];
    for (const [id, entry] of this.held) {
      all.push(id);
      if (entry.used) used.push(id);
      entry.used = false;
    }
    return { all, used };
  }
}
