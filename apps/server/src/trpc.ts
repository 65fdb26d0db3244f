import { initTRPC, TRPCError } from '@trpc/server';
import type { OpenApiMeta } from 'trpc-to-openapi';
import type { Context } from './context.js';
import { DomainError, isDatabaseUnavailable } from './errors.js';
import { requireAdmin } from './services/admin-roles.js';
import { transformer } from './wire.js';
import { malformedProblem } from './wire-input.js';

type Issue = { path: readonly PropertyKey[]; message: string };

function validationIssues(cause: unknown): Issue[] | undefined {
  const issues = (cause as { issues?: unknown } | undefined)?.issues;
  return Array.isArray(issues) ? (issues as Issue[]) : undefined;
}

/** `{ field: messages[] }`, keyed by the dotted path of the offending input ("" for the root). */
function fieldErrors(issues: Issue[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const issue of issues) {
    const key = issue.path.map(String).join('.');
    const messages = out[key] ?? [];
    messages.push(issue.message);
    out[key] = messages;
  }
  return out;
}

/** tRPC's own refusal of a batch over `maxBatchSize` (HTTP and WebSocket) carries no reason. */
function isBatchTooLarge(error: { code: string; message: string }): boolean {
  return error.code === 'BAD_REQUEST' && error.message === 'Batch call exceeds maximum size';
}

const t = initTRPC
  .context<Context>()
  .meta<OpenApiMeta>()
  .create({
    transformer,
    // Subscriptions live on the WebSocket only, behind its keep-alive and send guard (SPEC §6.1).
    sse: { enabled: false },
    errorFormatter({ shape, error, ctx }) {
      const cause = error.cause;
      const issues = error.code === 'BAD_REQUEST' ? validationIssues(cause) : undefined;
      const domain = cause instanceof DomainError ? cause : undefined;
      const showStack = ctx?.env.EXPOSE_ERROR_STACKS === true && ctx.env.NODE_ENV !== 'production';
      const { stack, ...data } = shape.data;
      const reason =
        domain?.reason ??
        (issues ? ('INVALID_INPUT' as const) : undefined) ??
        (isBatchTooLarge(error) ? ('BATCH_TOO_LARGE' as const) : undefined);
      return {
        ...shape,
        // An unexpected failure's message may carry internals (SQL, paths): never send it.
        message: error.code === 'INTERNAL_SERVER_ERROR' ? 'Internal server error' : shape.message,
        data: {
          ...data,
          ...(showStack ? { stack } : {}),
          ...(reason ? { reason } : {}),
          ...(issues ? { fieldErrors: fieldErrors(issues) } : {}),
          ...(domain?.retryAfterSeconds !== undefined
            ? { retryAfterSeconds: domain.retryAfterSeconds }
            : {}),
          ...domain?.details,
        },
      };
    },
  });

/**
 * Turns what services throw into tRPC errors: domain errors keep their reason, a lost database
 * becomes SERVICE_UNAVAILABLE instead of a 500.
 */
const errorMapping = t.middleware(async ({ next }) => {
  const result = await next();
  if (result.ok) return result;
  const cause = result.error.cause;
  if (cause instanceof DomainError) {
    throw new TRPCError({ code: cause.code, message: cause.message, cause });
  }
  if (result.error.code === 'INTERNAL_SERVER_ERROR' && isDatabaseUnavailable(cause)) {
    const unavailable = new DomainError('DATABASE_UNAVAILABLE', { cause });
    throw new TRPCError({
      code: unavailable.code,
      message: unavailable.message,
      cause: unavailable,
    });
  }
  return result;
});

function invalidInput(problem: string): DomainError {
  return new DomainError('INVALID_INPUT', {
    message: problem,
    details: { fieldErrors: { '': [problem] } },
  });
}

/**
 * Reads the raw input before anything else runs, authentication included: a malformed input
 * (wire-input.ts), a body that is no JSON or a batch that is no object is BAD_REQUEST
 * INVALID_INPUT, even for a procedure that takes no input (SPEC §6.1).
 */
const wireInput = t.middleware(async ({ getRawInput, next }) => {
  let raw: unknown;
  try {
    raw = await getRawInput();
  } catch (cause) {
    // tRPC's own parse failures are BAD_REQUEST; a body over the limit stays 413.
    if (!(cause instanceof TRPCError) || cause.code !== 'BAD_REQUEST') throw cause;
    throw invalidInput(
      cause.cause instanceof SyntaxError ? 'The input is not valid JSON' : cause.message,
    );
  }
  const problem = malformedProblem(raw);
  if (problem !== undefined) throw invalidInput(problem);
  return next();
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(errorMapping).use(wireInput);

/** Needs a valid access token of a live session; handlers get `ctx.session` and never re-check. */
export const authedProcedure = publicProcedure.use(async ({ ctx, next }) => {
  const session = await ctx.authenticate();
  return next({ ctx: { session } });
});

/**
 * Admins only (SPEC §10): the role is read from the database on every call, never taken from the
 * token, so a demoted or disabled admin loses access on the next call; anyone else is FORBIDDEN.
 */
export const adminProcedure = authedProcedure.use(async ({ ctx, next }) => {
  await requireAdmin(ctx.db, ctx.session.userId);
  return next();
});

/** REST route of a procedure (SPEC §5 paths, under /api/v1), for the OpenAPI handler and document. */
export function rest(
  method: 'GET' | 'POST' | 'DELETE',
  path: `/${string}`,
  summary: string,
  options: { protect?: boolean; tags?: string[] } = {},
): OpenApiMeta {
  return {
    openapi: {
      method,
      path,
      summary,
      protect: options.protect ?? true,
      tags: options.tags ?? [path.split('/')[1] ?? 'api'],
    },
  };
}
