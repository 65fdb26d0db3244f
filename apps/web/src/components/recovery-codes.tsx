import { useEffect, useMemo, useState } from 'preact/hooks';
import { useFocusOnMount } from '../hooks.js';

/** The text of the downloaded file: what the codes are for, then one code a line. */
function codesFile(email: string, codes: string[]): string {
  return [
    `CryptWeb recovery codes for ${email}`,
    'Each code signs you in once when your authenticator app is not at hand.',
    '',
    ...codes,
    '',
  ].join('\n');
}

/**
 * A fresh set of recovery codes, on screen once (the server keeps only their hashes): the person
 * copies or downloads them, then says they are stored.
 */
export function RecoveryCodes({
  email,
  codes,
  onDone,
}: {
  email: string;
  codes: string[];
  onDone: () => void;
}) {
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const text = useMemo(() => codesFile(email, codes), [email, codes]);
  const [copied, setCopied] = useState<string | null>(null);
  const [download, setDownload] = useState<string | null>(null);

  // A Blob URL for the download: made here, never sent anywhere, freed when the codes leave the screen.
  useEffect(() => {
    const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
    setDownload(url);
    return () => URL.revokeObjectURL(url);
  }, [text]);

  const copy = () => {
    navigator.clipboard.writeText(text).then(
      () => setCopied('Copied. Paste them somewhere safe, such as your password manager.'),
      // Clipboard access can be refused (permissions, an insecure origin): there is still Download.
      () => setCopied('This browser did not allow copying. Use Download, or select the codes.'),
    );
  };

  return (
    <section class="panel" aria-labelledby="codes-heading">
      <h2 id="codes-heading" ref={heading} tabIndex={-1}>
        Your recovery codes
      </h2>
      <div class="alert alert-warning">
        <p>
          <strong>Store these codes now.</strong> This is the only time CryptWeb shows them. Each
          one signs you in once if you lose your authenticator app; without them and the app, you
          cannot sign in.
        </p>
      </div>
      <ol class="codes" aria-label="Recovery codes">
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ol>
      <div class="actions">
        <button type="button" onClick={copy}>
          Copy
        </button>
        {download && (
          <a class="button" href={download} download="cryptweb-recovery-codes.txt">
            Download
          </a>
        )}
        <button type="button" class="primary" onClick={onDone}>
          I have stored them
        </button>
      </div>
      <p class="hint" role="status">
        {copied}
      </p>
    </section>
  );
}
