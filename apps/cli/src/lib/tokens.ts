/**
 * The user (`sub`) and session (`sid`) an access token names, read without verifying it: the
 * server does that; the CLI only uses them to label its own output.
 */
export function claimsOf(accessToken: string): { userId?: string; sessionId?: string } {
  try {
    const payload = accessToken.split('.')[1] ?? '';
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
      sub?: unknown;
      sid?: unknown;
    };
    return {
      ...(typeof claims.sub === 'string' ? { userId: claims.sub } : {}),
      ...(typeof claims.sid === 'string' ? { sessionId: claims.sid } : {}),
    };
  } catch {
    return {};
  }
}
