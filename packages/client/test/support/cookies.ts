import WebSocket from 'ws';

/** One request as it left the client: what a browser would have sent for it. */
export interface SentRequest {
  path: string;
  credentials: RequestCredentials | undefined;
  authorization: string | null;
  body: string;
}

/**
 * What a browser does for a page in cookie mode, for Node: a cookie jar filled from the
 * server's Set-Cookie answers (expired and cleared cookies dropped), sent back on every request
 * whose `credentials` ask for it, and on WebSocket upgrades. It records what was sent.
 */
export function browserCookies() {
  const jar = new Map<string, { value: string; expiresAt: number }>();
  const requests: SentRequest[] = [];
  const socketUrls: string[] = [];
  const socketFrames: string[] = [];

  const live = () => [...jar].filter(([, cookie]) => cookie.expiresAt > Date.now());
  const header = () =>
    live()
      .map(([name, cookie]) => `${name}=${cookie.value}`)
      .join('; ');
  const keep = (setCookie: string) => {
    const [pair = '', ...attributes] = setCookie.split(';').map((part) => part.trim());
    const split = pair.indexOf('=');
    const name = pair.slice(0, split);
    const value = decodeURIComponent(pair.slice(split + 1));
    const maxAge = attributes.find((part) => /^max-age=/i.test(part))?.split('=')[1];
    const expiresAt =
      maxAge === undefined ? Number.POSITIVE_INFINITY : Date.now() + Number(maxAge) * 1000;
    if (!value || expiresAt <= Date.now()) jar.delete(name);
    else jar.set(name, { value, expiresAt });
  };

  const fetchWithJar: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    const body = request.method === 'GET' ? '' : await request.text();
    requests.push({
      path: new URL(request.url).pathname,
      credentials: init?.credentials,
      authorization: request.headers.get('authorization'),
      body,
    });
    const headers = new Headers(request.headers);
    // A page's fetch sends cookies only with credentials: 'include' (cross-origin) or 'same-origin'.
    if (init?.credentials === 'include' && jar.size > 0) headers.set('cookie', header());
    const response = await fetch(request.url, {
      method: request.method,
      headers,
      ...(request.method === 'GET' ? {} : { body }),
    });
    for (const line of response.headers.getSetCookie()) keep(line);
    return response;
  };

  /** `ws`, carrying the jar's cookies on its upgrade as a browser's same-origin socket does. */
  class CookieWebSocket extends WebSocket {
    constructor(url: string | URL) {
      super(url, { headers: { cookie: header() } });
      socketUrls.push(String(url));
      const send = this.send.bind(this) as (data: unknown, ...rest: unknown[]) => void;
      this.send = ((data: unknown, ...rest: unknown[]) => {
        socketFrames.push(String(data));
        send(data, ...rest);
      }) as typeof this.send;
    }
  }

  return {
    fetch: fetchWithJar,
    WebSocket: CookieWebSocket as unknown as typeof globalThis.WebSocket,
    /** The live cookies by name. */
    cookies: () => Object.fromEntries(live().map(([name, cookie]) => [name, cookie.value])),
    requests,
    socketUrls,
    socketFrames,
  };
}
