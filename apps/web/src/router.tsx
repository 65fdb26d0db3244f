import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';

/** The app's pages; the path under /app/ is the route's name ('' for home). */
export type Route =
  | 'home'
  | 'history'
  | 'devices'
  | 'account'
  | 'security'
  | 'device'
  | 'admin'
  | 'sign-in'
  | 'sign-up'
  | 'verify'
  | 'forgot-password'
  | 'reset-password'
  | 'not-me'
  | 'not-found';

const ROUTES = new Set<string>([
  'history',
  'devices',
  'account',
  'security',
  'device',
  'admin',
  'sign-in',
  'sign-up',
  'verify',
  'forgot-password',
  'reset-password',
  'not-me',
]);

/** Pages anyone may open; every other page needs a signed-in device. */
export const PUBLIC_ROUTES = new Set<Route>([
  'sign-in',
  'sign-up',
  'verify',
  'forgot-password',
  'reset-password',
  // Opened from a new-sign-in email, most likely on a device that is not signed in.
  'not-me',
]);

// Vite's `base` ('/app/'), so the same code works under any mount point.
const BASE = import.meta.env.BASE_URL;

export interface Location {
  route: Route;
  params: URLSearchParams;
}

function read(): Location {
  const path = window.location.pathname.startsWith(BASE)
    ? window.location.pathname.slice(BASE.length).replace(/\/+$/, '')
    : '';
  const route: Route = path === '' ? 'home' : ROUTES.has(path) ? (path as Route) : 'not-found';
  return { route, params: new URLSearchParams(window.location.search) };
}

/** The URL of a route, e.g. href('verify', { email }) → "/app/verify?email=…". */
export function href(route: Route, params: Record<string, string> = {}): string {
  const query = new URLSearchParams(params).toString();
  return `${BASE}${route === 'home' ? '' : route}${query ? `?${query}` : ''}`;
}

const listeners = new Set<() => void>();

export function navigate(
  route: Route,
  params: Record<string, string> = {},
  options: { replace?: boolean } = {},
) {
  const url = href(route, params);
  if (options.replace) window.history.replaceState(null, '', url);
  else window.history.pushState(null, '', url);
  for (const listener of listeners) listener();
}

/** The current route, re-rendering on navigation and on the browser's back and forward. */
export function useLocation(): Location {
  const [location, setLocation] = useState(read);
  useEffect(() => {
    const update = () => setLocation(read());
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return location;
}

interface LinkProps {
  to: Route;
  params?: Record<string, string> | undefined;
  class?: string;
  'aria-current'?: 'page' | undefined;
  children: ComponentChildren;
}

/** An ordinary link (open in a new tab works) that navigates in place on a plain click. */
export function Link({ to, params, children, ...rest }: LinkProps) {
  const onClick = (event: MouseEvent) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return;
    }
    event.preventDefault();
    navigate(to, params);
  };
  return (
    <a {...rest} href={href(to, params)} onClick={onClick}>
      {children}
    </a>
  );
}
