import type { PeerConnectionFactory, PeerConnectionLike } from '@cryptweb/client';
import { RTCPeerConnection } from 'werift';

/** WebRTC in Node: werift is pure TypeScript, so it installs anywhere npm does. */
export const createPeerConnection: PeerConnectionFactory = ({ iceServers }) =>
  new RTCPeerConnection({
    iceServers: iceServers.flatMap((server) =>
      server.urls.map((urls) => ({
        urls,
        ...(server.username ? { username: server.username } : {}),
        ...(server.credential ? { credential: server.credential } : {}),
      })),
    ),
  }) as unknown as PeerConnectionLike;
