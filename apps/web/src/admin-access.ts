import { useEffect, useState } from 'preact/hooks';
import { useAuth } from './auth.js';
import { describeError } from './errors.js';

/**
 * Whether the signed-in account is an admin: `true`, `false`, or `null` while unknown. `auth.me`
 * does not say (the server reads the role from the database on each admin call, SPEC §10), so
 * the app asks `admin.stats`, the one admin query that needs no input: an answer means admin,
 * ADMIN_REQUIRED means not. Asked again for each new session (a new client per sign-in).
 */
export function useIsAdmin(): boolean | null {
  const { client, status, me } = useAuth();
  const [admin, setAdmin] = useState<boolean | null>(null);
  const userId = me?.user.id;
  useEffect(() => {
    setAdmin(null);
    if (status !== 'signed-in' || !userId) return;
    let current = true;
    client.admin.stats.query().then(
      () => {
        if (current) setAdmin(true);
      },
      (error: unknown) => {
        // Anything else (the server unreachable) leaves it unknown: no Admin link for now.
        if (current && describeError(error).reason === 'ADMIN_REQUIRED') setAdmin(false);
      },
    );
    return () => {
      current = false;
    };
  }, [client, status, userId]);
  return admin;
}
