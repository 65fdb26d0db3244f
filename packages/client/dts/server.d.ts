// The only part of @cryptweb/server the SDK's declarations use, read straight from its sources:
// rollup.config.mjs inlines these types so the built index.d.ts stands alone.
export type { AppRouter } from '../../../apps/server/src/routers/_app.js';
export type {
  IceCandidate,
  Peer,
  SignalingEvent,
} from '../../../apps/server/src/signaling/events.js';
