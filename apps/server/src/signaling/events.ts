/** A signed-in device with an open `signaling.events` subscription, as other peers see it. */
export interface Peer {
  peerId: string;
  email: string;
  name: string;
}

export interface SessionDescription<T extends 'offer' | 'answer'> {
  type: T;
  sdp: string;
}

export interface IceCandidate {
  candidate: string;
  sdpMid?: string | null | undefined;
  sdpMLineIndex?: number | null | undefined;
  usernameFragment?: string | null | undefined;
}

export type SignalingEvent =
  | { type: 'ready'; peerId: string; self: Peer }
  | { type: 'offer'; from: Peer; offer: SessionDescription<'offer'> }
  | { type: 'answer'; from: Peer; answer: SessionDescription<'answer'> }
  | { type: 'ice-candidate'; from: Peer; candidate: IceCandidate }
  | { type: 'peer-status'; peer: Peer; online: boolean; message: string };

/** What a peer can send: everything but the server's own `ready` and `peer-status`. */
export type RelayedEvent = Extract<SignalingEvent, { type: 'offer' | 'answer' | 'ice-candidate' }>;

/** Whom a signaling message is for: every open peer of a user, or one peer. */
export type Target = { email: string } | { peerId: string };
