import {
  adminStatsOutput,
  adminUserDetailOutput,
  adminUserListOutput,
  adminUserOutput,
  securityLogOutput,
  sessionIdOutput,
} from '../contract.js';
import {
  adminDisableInput,
  adminListUsersInput,
  adminRevokeSessionInput,
  adminSecurityEventsInput,
  adminSetRoleInput,
  adminUserIdInput,
} from '../schemas.js';
import {
  adminStats,
  disableUser,
  enableUser,
  getUser,
  listUsers,
  revokeAnySession,
  setRole,
} from '../services/admin.js';
import { listEvents } from '../services/security-log.js';
import { adminProcedure, rest, router } from '../trpc.js';

const tags = ['admin'];

/** Administration (SPEC §10): admins only, the role read from the database on every call. */
export const adminRouter = router({
  users: router({
    list: adminProcedure
      .meta(rest('GET', '/admin/users', 'Accounts, newest first, optionally searched', { tags }))
      .input(adminListUsersInput)
      .output(adminUserListOutput)
      .query(({ ctx, input }) =>
        listUsers(ctx.db, {
          query: input?.query || undefined,
          cursor: input?.cursor,
          limit: input?.limit ?? 50,
        }),
      ),

    get: adminProcedure
      .meta(rest('GET', '/admin/users/{userId}', 'One account, its sessions and events', { tags }))
      .input(adminUserIdInput)
      .output(adminUserDetailOutput)
      .query(({ ctx, input }) => getUser(ctx, input.userId)),

    setRole: adminProcedure
      .meta(rest('POST', '/admin/users/{userId}/role', 'Make an account admin or user', { tags }))
      .input(adminSetRoleInput)
      .output(adminUserOutput)
      .mutation(({ ctx, input }) => setRole(ctx, ctx.session, input)),

    disable: adminProcedure
      .meta(rest('POST', '/admin/users/{userId}/disable', 'Disable and sign out', { tags }))
      .input(adminDisableInput)
      .output(adminUserOutput)
      .mutation(({ ctx, input }) => disableUser(ctx, ctx.session, input)),

    enable: adminProcedure
      .meta(
        rest('POST', '/admin/users/{userId}/enable', 'Let a disabled account in again', { tags }),
      )
      .input(adminUserIdInput)
      .output(adminUserOutput)
      .mutation(({ ctx, input }) => enableUser(ctx, ctx.session, input.userId)),
  }),

  sessions: router({
    revoke: adminProcedure
      .meta(rest('DELETE', '/admin/sessions/{sessionId}', "End anyone's session", { tags }))
      .input(adminRevokeSessionInput)
      .output(sessionIdOutput)
      .mutation(({ ctx, input }) => revokeAnySession(ctx, ctx.session, input.sessionId)),
  }),

  securityEvents: router({
    list: adminProcedure
      .meta(rest('GET', '/admin/security-events', "Every account's security events", { tags }))
      .input(adminSecurityEventsInput)
      .output(securityLogOutput)
      .query(({ ctx, input }) =>
        listEvents(ctx.db, {
          userId: input?.userId,
          type: input?.type,
          flagged: input?.flagged,
          cursor: input?.cursor,
          limit: input?.limit ?? 50,
        }),
      ),
  }),

  stats: adminProcedure
    .meta(rest('GET', '/admin/stats', 'Users, sessions, peers online, transfers today', { tags }))
    .output(adminStatsOutput)
    .query(({ ctx }) => adminStats(ctx)),
});
