import { createHmac } from 'node:crypto';
import type { Env } from '../env.js';

export interface IceServer {
  urls: string[];
  username?: string;
  credential?: string;
}

/**
 * STUN from STUN_URLS; with TURN_URLS and TURN_SECRET, TURN with ephemeral credentials per the TURN
 * REST API (coturn `use-auth-secret`): username `"<unix expiry>:<userId>"`, credential
 * base64(HMAC-SHA1(secret, username)).
 */
export function iceServers(
  env: Pick<Env, 'STUN_URLS' | 'TURN_URLS' | 'TURN_SECRET' | 'TURN_TTL_SECONDS'>,
  userId: string,
  now = Date.now(),
): { iceServers: IceServer[]; ttlSeconds: number } {
  const servers: IceServer[] = [];
  if (env.STUN_URLS.length > 0) servers.push({ urls: env.STUN_URLS });
  if (env.TURN_URLS.length > 0 && env.TURN_SECRET) {
    const username = `${Math.floor(now / 1000) + env.TURN_TTL_SECONDS}:${userId}`;
    const credential = createHmac('sha1', env.TURN_SECRET).update(username).digest('base64');
    servers.push({ urls: env.TURN_URLS, username, credential });
  }
  return { iceServers: servers, ttlSeconds: env.TURN_TTL_SECONDS };
}
