import type { CryptwebClient } from '@cryptweb/client';
import { type ComponentChildren, createContext } from 'preact';
import { useCallback, useContext, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { type Me, newClient } from './api.js';
import { describeError } from './errors.js';

/** Why the device is signed out; `urgent` when it did not choose to be (read as an alert). */
export interface SessionNotice {
  message: string;
  urgent: boolean;
}

export const SIGNED_OUT_ELSEWHERE: SessionNotice = {
  message:
    'This device was signed out — from another device, or because the password changed. Sign in again to continue.',
  urgent: true,
};

export interface Auth {
  client: CryptwebClient;
  /** 'unreachable': a stored session could not be checked (server down); `resume` tries again. */
  status: 'loading' | 'signed-in' | 'signed-out' | 'unreachable';
  me: Me | null;
  /** Why the device is signed out, shown on the sign-in page. */
  notice: SessionNotice | null;
  /** Loads the account after `auth.signIn` stored the tokens. */
  completeSignIn(): Promise<void>;
  /** Signs this device out on the server, then locally. */
  signOut(): Promise<void>;
  /** Forgets the tokens and starts a fresh client; `notice` says why. */
  endSession(notice: SessionNotice | null): Promise<void>;
  /** Asks the server whether this session still lives; signs out with a notice when it does not. */
  verifySession(): Promise<boolean>;
  /** Checks the stored session again, after 'unreachable'. */
  resume(): Promise<void>;
  /** A new client on the same tokens (after the signaling subscription ended for another reason). */
  reconnect(): void;
}

const AuthContext = createContext<Auth | null>(null);

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error('useAuth needs <AuthProvider>');
  return auth;
}

export function AuthProvider({ children }: { children: ComponentChildren }) {
  const [client, setClient] = useState(newClient);
  const [status, setStatus] = useState<Auth['status']>('loading');
  const [me, setMe] = useState<Me | null>(null);
  const [notice, setNotice] = useState<SessionNotice | null>(null);
  // Callbacks read the live client without re-creating themselves on every change.
  const clientRef = useRef(client);
  clientRef.current = client;

  const endSession = useCallback(async (why: SessionNotice | null) => {
    const old = clientRef.current;
    await old.tokenStore.set(null);
    await old.close().catch(() => {});
    const fresh = newClient();
    clientRef.current = fresh;
    setClient(fresh);
    setMe(null);
    setNotice(why);
    setStatus('signed-out');
  }, []);

  const completeSignIn = useCallback(async () => {
    setMe(await clientRef.current.auth.me.query());
    setNotice(null);
    setStatus('signed-in');
  }, []);

  const verifySession = useCallback(async () => {
    try {
      setMe(await clientRef.current.auth.me.query());
      return true;
    } catch (error) {
      if (describeError(error).sessionGone) await endSession(SIGNED_OUT_ELSEWHERE);
      return false;
    }
  }, [endSession]);

  const signOut = useCallback(async () => {
    try {
      await clientRef.current.auth.signOut.mutate();
    } catch {
      // Already signed out on the server (or unreachable): forgetting the tokens is what matters.
    }
    await endSession({ message: 'You are signed out of this device.', urgent: false });
  }, [endSession]);

  const reconnect = useCallback(() => {
    const old = clientRef.current;
    void old.close().catch(() => {});
    const fresh = newClient();
    clientRef.current = fresh;
    setClient(fresh);
  }, []);

  // On load: a stored session is resumed if the server still accepts it.
  const resume = useCallback(async () => {
    if (!(await clientRef.current.tokenStore.get())) {
      setStatus('signed-out');
      return;
    }
    setStatus('loading');
    try {
      await completeSignIn();
    } catch (error) {
      if (describeError(error).sessionGone) await endSession(SIGNED_OUT_ELSEWHERE);
      else setStatus('unreachable');
    }
  }, [completeSignIn, endSession]);
  useEffect(() => {
    void resume();
  }, [resume]);

  // Another tab of this browser signed out (the shared token store was cleared).
  useEffect(() => {
    const onStorage = (event: StorageEvent) => {
      if (event.key === 'cryptweb.tokens' && event.newValue === null && status === 'signed-in') {
        void endSession({ message: 'You signed out in another tab.', urgent: false });
      }
    };
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, [status, endSession]);

  const value = useMemo<Auth>(
    () => ({
      client,
      status,
      me,
      notice,
      completeSignIn,
      signOut,
      endSession,
      verifySession,
      resume,
      reconnect,
    }),
    [
      client,
      status,
      me,
      notice,
      completeSignIn,
      signOut,
      endSession,
      verifySession,
      resume,
      reconnect,
    ],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}
