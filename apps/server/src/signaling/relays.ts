import type { z } from 'zod';
import { sendAnswerInput, sendIceCandidateInput, sendOfferInput } from '../schemas.js';
import type { Peer, RelayedEvent, Target } from './events.js';

/** A relay procedure: its input, and the event it becomes once the server names the sender. */
interface Relay<S extends z.ZodType<{ to: Target }>> {
  input: S;
  event(input: z.output<S>): (from: Peer) => RelayedEvent;
}

const relay = <S extends z.ZodType<{ to: Target }>>(definition: Relay<S>) => definition;

/** `signaling.sendOffer` / `sendAnswer` / `sendIceCandidate`, for the router and the fast path. */
export const relays = {
  sendOffer: relay({
    input: sendOfferInput,
    event:
      ({ offer }) =>
      (from) => ({ type: 'offer', from, offer }),
  }),
  sendAnswer: relay({
    input: sendAnswerInput,
    event:
      ({ answer }) =>
      (from) => ({ type: 'answer', from, answer }),
  }),
  sendIceCandidate: relay({
    input: sendIceCandidateInput,
    event:
      ({ candidate }) =>
      (from) => ({ type: 'ice-candidate', from, candidate }),
  }),
};

export type RelayName = keyof typeof relays;
