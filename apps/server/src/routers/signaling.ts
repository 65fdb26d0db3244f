import { TRPCError } from '@trpc/server';
import {
  markConnectedInput,
  sendAnswerInput,
  sendIceCandidateInput,
  sendOfferInput,
} from '../schemas.js';
import { iceServers } from '../services/ice-servers.js';
import type { SignalingEvent } from '../signaling/events.js';
import { authedProcedure, router } from '../trpc.js';

export const signalingRouter = router({
  /** One open subscription is one peer; it lives as long as the session, not the access token. */
  events: authedProcedure.subscription(async function* ({ ctx, signal }) {
    const peer = await ctx.hub.open(ctx.session);
    ctx.connectionPeers.add(peer.id);
    let reason: Awaited<ReturnType<ReturnType<typeof peer.events>['next']>>['value'] | undefined;
    try {
      yield { type: 'ready', peerId: peer.id, self: peer.self } satisfies SignalingEvent;
      const events = peer.events(signal);
      while (true) {
        const next = await events.next();
        if (next.done) {
          reason = next.value;
          break;
        }
        yield next.value;
      }
    } finally {
      ctx.connectionPeers.delete(peer.id);
      await ctx.hub.close(peer, peer.endReason ?? 'closed');
    }
    if (reason === 'revoked') {
      throw new TRPCError({ code: 'UNAUTHORIZED', message: 'The session has ended' });
    }
    if (reason === 'overflow') {
      throw new TRPCError({
        code: 'TOO_MANY_REQUESTS',
        message: 'The subscriber fell too far behind',
      });
    }
  }),

  sendOffer: authedProcedure.input(sendOfferInput).mutation(({ ctx, input }) =>
    ctx.hub.send(ctx.session, ctx.connectionPeers, input.to, (from) => ({
      type: 'offer',
      from,
      offer: input.offer,
    })),
  ),

  sendAnswer: authedProcedure.input(sendAnswerInput).mutation(({ ctx, input }) =>
    ctx.hub.send(ctx.session, ctx.connectionPeers, input.to, (from) => ({
      type: 'answer',
      from,
      answer: input.answer,
    })),
  ),

  sendIceCandidate: authedProcedure.input(sendIceCandidateInput).mutation(({ ctx, input }) =>
    ctx.hub.send(ctx.session, ctx.connectionPeers, input.to, (from) => ({
      type: 'ice-candidate',
      from,
      candidate: input.candidate,
    })),
  ),

  markConnected: authedProcedure
    .input(markConnectedInput)
    .mutation(({ ctx, input }) =>
      ctx.hub.markConnected(ctx.session, ctx.connectionPeers, input.peerId),
    ),

  iceServers: authedProcedure.query(({ ctx }) => iceServers(ctx.env, ctx.session.userId)),
});
