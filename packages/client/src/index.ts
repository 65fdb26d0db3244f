export type { AppRouter } from '@cryptweb/server';
export { TRPCClientError } from '@trpc/client';
export type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
export { secondsLeft } from './auth-link.js';
export {
  type AuthMode,
  type CookieModeOptions,
  type CryptwebClient,
  type CryptwebClientOptions,
  createCryptwebClient,
  reconnectDelay,
  type TokenModeOptions,
} from './client.js';
export {
  addPasskey,
  browserSupportsPasskeys,
  type Passkey,
  signInWithPasskey,
  verifyMfaWithPasskey,
} from './passkeys.js';
export {
  isMfaRequired,
  type MfaRequired,
  type SignedInResult,
  type SignInResult,
} from './sign-in.js';
export type {
  IceCandidate,
  Peer,
  SignalingConnection,
  SignalingEvent,
  SignalingTarget,
} from './signaling.js';
export {
  fileTokenStore,
  localStorageTokenStore,
  memoryTokenStore,
  type StoredTokens,
  type TokenStore,
} from './token-store.js';
export {
  CHUNK_BYTES,
  type DataChannelLike,
  type FileMeta,
  type FileSink,
  type FileSource,
  fileSourceFromBlob,
  type PeerConnectionFactory,
  type PeerConnectionLike,
  type ReceiveFileOptions,
  receiveFile,
  type SendFileOptions,
  sendFile,
  type TransferProgress,
} from './transfer.js';

import type { AppRouter } from '@cryptweb/server';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
/** Every procedure's input type, by path: `RouterInputs['auth']['signIn']`. */
export type RouterInputs = inferRouterInputs<AppRouter>;
/** Every procedure's output type, by path: `RouterOutputs['auth']['me']`. */
export type RouterOutputs = inferRouterOutputs<AppRouter>;
