import { browserSupportsPasskeys } from '@cryptweb/client';

/** `location.hostname` of an IPv4 address, or of an IPv6 one (which keeps its brackets). */
function isIpAddress(hostname: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(hostname) || hostname.startsWith('[');
}

/**
 * Why passkeys cannot work on this page, or null when they can. Browsers refuse an IP address as
 * the relying party, so the dialog would only fail: the pages explain instead of offering it.
 */
export function passkeysUnavailable(): string | null {
  if (isIpAddress(window.location.hostname)) {
    return `Passkeys need the app on a host name such as localhost, not an IP address (${window.location.hostname}). Open CryptWeb by its name to use them.`;
  }
  if (!browserSupportsPasskeys()) {
    return 'This browser cannot use passkeys. Use an up-to-date browser to add or use one.';
  }
  return null;
}

/**
 * The person closed the browser's passkey dialog, or let it time out (the browser does not say
 * which, on purpose), or a newer ceremony replaced this one: nothing went wrong, nothing changed.
 */
export function passkeyCancelled(error: unknown): boolean {
  return (
    error instanceof Error && (error.name === 'NotAllowedError' || error.name === 'AbortError')
  );
}
