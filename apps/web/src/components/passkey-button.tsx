import { passkeysUnavailable } from '../passkeys.js';

/**
 * A button that starts a passkey ceremony, or, where passkeys cannot work (an IP address, a
 * browser without WebAuthn), the reason in its place: a button that can only fail helps no one.
 */
export function PasskeyButton({
  busy,
  onClick,
  children,
}: {
  busy: boolean;
  onClick: () => void;
  children: string;
}) {
  const unavailable = passkeysUnavailable();
  if (unavailable) return <p class="muted">{unavailable}</p>;
  return (
    <p>
      <button type="button" onClick={onClick} disabled={busy} aria-busy={busy}>
        {children}
      </button>
    </p>
  );
}
