export { ConfigError, type Env, parseEnv } from './env.js';
export type { AppRouter } from './routers/_app.js';
export { type App, type AppOptions, createApp } from './server.js';
export type { IceCandidate, Peer, SignalingEvent } from './signaling/events.js';
