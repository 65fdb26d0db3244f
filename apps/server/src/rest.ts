import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  createOpenApiNodeHttpHandler,
  generateOpenApiDocument,
  type OpenAPIObject,
} from 'trpc-to-openapi';
import type { Env } from './env.js';
import { MAX_BODY_BYTES, sendJson, sendTooLarge } from './http.js';
import { createQueryTyper, pinCoercion, readJsonBody } from './rest-input.js';
import { appRouter } from './routers/_app.js';

export const REST_PREFIX = '/api/v1';

type HandlerOptions = Parameters<
  typeof createOpenApiNodeHttpHandler<typeof appRouter, IncomingMessage, ServerResponse>
>[0];

/** The OpenAPI 3 document, generated from the same zod schemas the procedures validate with. */
export function openApiDocument(env: Pick<Env, 'APP_URL'>, version: string): OpenAPIObject {
  return generateOpenApiDocument(appRouter, {
    title: 'CryptWeb API',
    description:
      'Accounts, sessions, signaling and the transfer log of CryptWeb, as plain JSON. Errors carry `data.code`, `data.httpStatus` and, where defined, `data.reason`.',
    version,
    baseUrl: `${env.APP_URL.replace(/\/+$/, '')}${REST_PREFIX}`,
    securitySchemes: {
      bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      cookieAuth: { type: 'apiKey', in: 'cookie', name: 'accessToken' },
    },
  });
}

/** `/api/v1/...` (every query and mutation as plain JSON) and `/api/openapi.json`. */
export function createRestHandler(options: {
  env: Env;
  version: string;
  createContext: HandlerOptions['createContext'];
  onError: HandlerOptions['onError'];
  responseMeta: HandlerOptions['responseMeta'];
}) {
  const handler = createOpenApiNodeHttpHandler<typeof appRouter, IncomingMessage, ServerResponse>({
    router: appRouter,
    createContext: options.createContext,
    onError: options.onError,
    responseMeta: options.responseMeta,
    maxBodySize: MAX_BODY_BYTES,
  });
  pinCoercion(appRouter);
  const typeQuery = createQueryTyper(appRouter);
  let document: OpenAPIObject | undefined;
  return async (
    req: IncomingMessage & { body?: unknown; query?: unknown },
    res: ServerResponse,
    pathname: string,
  ) => {
    if (pathname === '/api/openapi.json') {
      document ??= openApiDocument(options.env, options.version);
      sendJson(res, 200, document);
      return;
    }
    req.url = (req.url ?? '/').slice(REST_PREFIX.length) || '/';
    // The body parser only recognises the bare media type; `; charset=utf-8` is just as JSON.
    const type = req.headers['content-type'];
    if (type?.toLowerCase().startsWith('application/json'))
      req.headers['content-type'] = 'application/json';
    // The adapter takes `req.query` and `req.body` when present: query strings typed from the
    // schemas, bodies parsed and checked here, and its own coercion pinned off (rest-input.ts).
    if (req.method === 'GET' || req.method === 'DELETE') {
      req.query = typeQuery(req.method, new URL(req.url, 'http://localhost'));
    } else if (req.headers['content-type'] === 'application/json') {
      const body = await readJsonBody(req, MAX_BODY_BYTES);
      if (body === 'too-large') {
        sendTooLarge(res);
        return;
      }
      req.body = body;
    }
    await handler(req, res);
  };
}
