import { type ComponentChildren, createContext } from 'preact';
import { useCallback, useContext, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { type Client, type Me, newClient } from './api.js';
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
  client: Client;
  /** 'unreachable': the session could not be checked (server down); `resume` tries again. */
  status: 'loading' | 'signed-in' | 'signed-out' | 'unreachable';
  me: Me | null;
  /** Why the device is signed out, shown on the sign-in page. */
  notice: SessionNotice | null;
  /** Loads the account after `auth.signIn` set the session cookies, and tells the other tabs. */
  completeSignIn(): Promise<void>;
  /** Signs this device out on the server (which clears the cookies), then locally. */
  signOut(): Promise<void>;
  /** Forgets the account here and starts a fresh client; `notice` says why. */
  endSession(notice: SessionNotice | null): Promise<void>;
  /** Asks the server whether this session still lives; signs out with a notice when it does not. */
  verifySession(): Promise<boolean>;
  /** Asks the server whether the browser's cookies hold a session (on load, after 'unreachable'). */
  resume(): Promise<void>;
  /** A new client on the same session (after the signaling subscription ended for another reason). */
  reconnect(): void;
}

const AuthContext = createContext<Auth | null>(null);

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error('useAuth needs <AuthProvider>');
  return auth;
}

/** Tells this browser's other tabs of the app about sign-ins and sign-outs (cookies are shared). */
const CHANNEL = 'cryptweb.session';
type SessionMessage = 'signed-in' | 'signed-out';

function announce(message: SessionMessage) {
  if (typeof BroadcastChannel !== 'function') return;
  const channel = new BroadcastChannel(CHANNEL);
  channel.postMessage(message);
  channel.close();
}

export function AuthProvider({ children }: { children: ComponentChildren }) {
  const [client, setClient] = useState(newClient);
  const [status, setStatus] = useState<Auth['status']>('loading');
  const [me, setMe] = useState<Me | null>(null);
  const [notice, setNotice] = useState<SessionNotice | null>(null);
  // Callbacks read the live client without re-creating themselves on every change.
  const clientRef = useRef(client);
  clientRef.current = client;
  const statusRef = useRef(status);
  statusRef.current = status;

  const endSession = useCallback(async (why: SessionNotice | null) => {
    const old = clientRef.current;
    await old.close().catch(() => {});
    const fresh = newClient();
    clientRef.current = fresh;
    setClient(fresh);
    setMe(null);
    setNotice(why);
    setStatus('signed-out');
  }, []);

  const loadMe = useCallback(async () => {
    setMe(await clientRef.current.auth.me.query());
    setNotice(null);
    setStatus('signed-in');
  }, []);

  const completeSignIn = useCallback(async () => {
    await loadMe();
    announce('signed-in');
  }, [loadMe]);

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
    let cleared = true;
    try {
      await clientRef.current.auth.signOut.mutate();
    } catch (error) {
      // Already signed out on the server: nothing is left to clear. Unreachable: the HttpOnly
      // cookies (which only the server can clear) still hold the session, so say so.
      cleared = describeError(error).sessionGone;
    }
    announce('signed-out');
    await endSession(
      cleared
        ? { message: 'You are signed out of this device.', urgent: false }
        : {
            message:
              'The server could not be reached, so this browser may still be signed in. Sign out again once you are back online.',
            urgent: true,
          },
    );
  }, [endSession]);

  const reconnect = useCallback(() => {
    const old = clientRef.current;
    void old.close().catch(() => {});
    const fresh = newClient();
    clientRef.current = fresh;
    setClient(fresh);
  }, []);

  // On load: the browser's cookies may hold a session; only the server can tell (they are HttpOnly).
  const resume = useCallback(async () => {
    setStatus('loading');
    try {
      await loadMe();
    } catch (error) {
      setStatus(describeError(error).sessionGone ? 'signed-out' : 'unreachable');
    }
  }, [loadMe]);
  useEffect(() => {
    void resume();
  }, [resume]);

  // Another tab of this browser signed in or out: the cookies it changed are this tab's too.
  useEffect(() => {
    if (typeof BroadcastChannel !== 'function') return;
    const channel = new BroadcastChannel(CHANNEL);
    channel.onmessage = (event: MessageEvent<SessionMessage>) => {
      if (event.data === 'signed-out') {
        if (statusRef.current === 'signed-in') {
          void endSession({ message: 'You signed out in another tab.', urgent: false });
        }
      } else if (statusRef.current === 'signed-in') {
        // The cookies now hold the other tab's new session: follow it, socket included.
        reconnect();
        void verifySession();
      } else {
        void resume();
      }
    };
    return () => channel.close();
  }, [endSession, resume, reconnect, verifySession]);

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
