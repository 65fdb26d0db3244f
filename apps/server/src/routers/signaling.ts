import { TRPCError } from '@trpc/server';
import { deliveryOutput, iceServersOutput, ok, presenceOutput } from '../contract.js';
import { DomainError, isDatabaseUnavailable } from '../errors.js';
import { markConnectedInput } from '../schemas.js';
import { iceServers } from '../services/ice-servers.js';
import { contactsPresence } from '../services/presence.js';
import type { SignalingEvent } from '../signaling/events.js';
import { eventWriter } from '../signaling/fast-relay.js';
import { relays } from '../signaling/relays.js';
import { authedProcedure, rest, router } from '../trpc.js';

/**
 * What a subscription's generator throws skips the error middleware (the procedure itself has
 * returned): domain errors and a lost database get their proper code here, not a 500.
 */
function subscriptionError(error: unknown): unknown {
  const domain = isDatabaseUnavailable(error)
    ? new DomainError('DATABASE_UNAVAILABLE', { cause: error })
    : error;
  return domain instanceof DomainError
    ? new TRPCError({ code: domain.code, message: domain.message, cause: domain })
    : error;
}

export const signalingRouter = router({
  /** One open subscription is one peer; it lives as long as the session, not the access token. */
  events: authedProcedure.subscription(async function* ({ ctx, signal }) {
    const peer = await ctx.hub.open(ctx.session).catch((error: unknown) => {
      throw subscriptionError(error);
    });
    ctx.connectionPeers.add(peer.id);
    let reason: Awaited<ReturnType<ReturnType<typeof peer.events>['next']>>['value'] | undefined;
    try {
      yield { type: 'ready', peerId: peer.id, self: peer.self } satisfies SignalingEvent;
      // `ready` is on the wire now: later events can skip the adapter (signaling/fast-relay.ts).
      if (ctx.socket && peer.wire) peer.writeDirectly(eventWriter(ctx.socket, peer.wire));
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

  sendOffer: authedProcedure
    .meta(rest('POST', '/signaling/offer', "Relay an offer from the caller's peer"))
    .input(relays.sendOffer.input)
    .output(deliveryOutput)
    .mutation(({ ctx, input }) =>
      ctx.hub.send(ctx.session, ctx.connectionPeers, input.to, relays.sendOffer.event(input)),
    ),

  sendAnswer: authedProcedure
    .meta(rest('POST', '/signaling/answer', "Relay an answer from the caller's peer"))
    .input(relays.sendAnswer.input)
    .output(deliveryOutput)
    .mutation(({ ctx, input }) =>
      ctx.hub.send(ctx.session, ctx.connectionPeers, input.to, relays.sendAnswer.event(input)),
    ),

  sendIceCandidate: authedProcedure
    .meta(rest('POST', '/signaling/ice-candidate', "Relay an ICE candidate from the caller's peer"))
    .input(relays.sendIceCandidate.input)
    .output(deliveryOutput)
    .mutation(({ ctx, input }) =>
      ctx.hub.send(
        ctx.session,
        ctx.connectionPeers,
        input.to,
        relays.sendIceCandidate.event(input),
      ),
    ),

  markConnected: authedProcedure
    .meta(rest('POST', '/signaling/mark-connected', "Pair the caller's peer with another"))
    .input(markConnectedInput)
    .output(ok)
    .mutation(({ ctx, input }) =>
      ctx.hub.markConnected(ctx.session, ctx.connectionPeers, input.peerId),
    ),

  iceServers: authedProcedure
    .meta(rest('GET', '/signaling/ice-servers', 'STUN and TURN servers with fresh credentials'))
    .output(iceServersOutput)
    .query(({ ctx }) => iceServers(ctx.env, ctx.session.userId)),

  presence: authedProcedure
    .meta(
      rest('GET', '/signaling/presence', 'Who is online among the people you exchanged files with'),
    )
    .output(presenceOutput)
    .query(async ({ ctx }) => ({ contacts: await contactsPresence(ctx.db, ctx.session.userId) })),
});
