import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { type Contact, fetchPresence, SignedOutError } from '../api.js';
import { useAuth } from '../auth.js';
import { Notice } from '../components/messages.js';
import { Page } from '../components/page.js';
import { TransferBar } from '../components/progress.js';
import { formatBytes, formatDate, formatDuration } from '../format.js';
import { useTransfers } from '../transfers.js';

const PRESENCE_EVERY_MS = 10_000;

export function HomePage() {
  const { link, outgoing, send } = useTransfers();
  const [to, setTo] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [dragging, setDragging] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);
  const fileId = useId();
  const toId = useId();
  const busy = outgoing.phase === 'connecting' || outgoing.phase === 'sending';

  const onSubmit = (event: Event) => {
    event.preventDefault();
    if (file) void send(to.trim(), file);
  };
  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    const dropped = event.dataTransfer?.files[0];
    if (dropped) setFile(dropped);
  };

  return (
    <Page title="Send a file">
      <p role="status" class={`link link-${link}`}>
        {link === 'online'
          ? 'This device is online: people can send you files while this page is open.'
          : link === 'connecting'
            ? 'Connecting…'
            : 'This device is offline; reconnecting…'}
      </p>
      <form onSubmit={onSubmit} class="stack panel">
        <div class="field">
          <label for={toId}>Recipient’s email</label>
          <input
            id={toId}
            type="email"
            autoComplete="email"
            list="contact-emails"
            required
            value={to}
            onInput={(event) => setTo(event.currentTarget.value)}
          />
        </div>
        <fieldset
          class={`dropzone${dragging ? ' dragging' : ''}`}
          onDragEnter={(event) => {
            event.preventDefault();
            setDragging(true);
          }}
          onDragOver={(event) => event.preventDefault()}
          onDragLeave={() => setDragging(false)}
          onDrop={onDrop}
        >
          <legend>File</legend>
          <label for={fileId}>Choose a file, or drag and drop one here</label>
          <input
            ref={fileInput}
            id={fileId}
            type="file"
            required={!file}
            onChange={(event) => setFile(event.currentTarget.files?.[0] ?? null)}
          />
          <p class="hint" aria-live="polite">
            {file ? `Selected: ${file.name} (${formatBytes(file.size)})` : 'No file selected.'}
          </p>
        </fieldset>
        <button type="submit" class="primary" disabled={busy || !file} aria-busy={busy}>
          {busy ? 'Sending…' : 'Send'}
        </button>
      </form>
      <Outgoing />
      <Contacts
        onPick={(email) => {
          setTo(email);
          fileInput.current?.focus();
        }}
      />
    </Page>
  );
}

function Outgoing() {
  const { outgoing } = useTransfers();
  switch (outgoing.phase) {
    case 'idle':
      return null;
    case 'connecting':
      return (
        <Notice>
          Waiting for {outgoing.to} to accept {outgoing.name}…
        </Notice>
      );
    case 'sending':
      return (
        <div class="panel">
          <TransferBar
            label={`Sending ${outgoing.name} to ${outgoing.to}`}
            progress={outgoing.progress}
          />
        </div>
      );
    case 'done':
      return (
        <Notice tone="success">
          Sent {outgoing.name} ({formatBytes(outgoing.size)}) to {outgoing.to} in{' '}
          {formatDuration(outgoing.timeElapsed)}. The receiver checked its SHA-256.
        </Notice>
      );
    case 'failed':
      return (
        <div class="alert alert-error" role="alert">
          <p>
            Could not send {outgoing.name}. {outgoing.message}
          </p>
        </div>
      );
  }
}

/** People you have exchanged files with, and whether they are online now (polled). */
function Contacts({ onPick }: { onPick: (email: string) => void }) {
  const auth = useAuth();
  const { version } = useTransfers();
  const [contacts, setContacts] = useState<Contact[] | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const { client, verifySession } = auth;

  useEffect(() => {
    let live = true;
    const load = async () => {
      try {
        const list = await fetchPresence(client);
        if (!live) return;
        setContacts(list);
        setFailure(null);
      } catch (error) {
        if (!live) return;
        if (error instanceof SignedOutError) await verifySession();
        else setFailure(error instanceof Error ? error.message : String(error));
      }
    };
    void load();
    const timer = setInterval(() => void load(), PRESENCE_EVERY_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [client, verifySession, version]);

  return (
    <section class="panel" aria-labelledby="contacts-heading">
      <h2 id="contacts-heading">Contacts</h2>
      <datalist id="contact-emails">
        {contacts?.map((contact) => (
          <option key={contact.email} value={contact.email}>
            {contact.name}
          </option>
        ))}
      </datalist>
      {failure && <p class="field-error">{failure}</p>}
      {contacts === null ? (
        <p class="muted">Loading…</p>
      ) : contacts.length === 0 ? (
        <p class="muted">People you send files to, or receive files from, appear here.</p>
      ) : (
        <ul class="cards" aria-label="Contacts">
          {contacts.map((contact) => (
            <li key={contact.email} class="contact">
              <div>
                <p>
                  <span class={`dot ${contact.online ? 'on' : 'off'}`} aria-hidden="true" />
                  <strong>{contact.name}</strong>{' '}
                  <span class="status-word">{contact.online ? 'online' : 'offline'}</span>
                </p>
                <p class="muted">
                  {contact.email} · last transfer {formatDate(contact.lastTransferAt)}
                </p>
              </div>
              <button type="button" onClick={() => onPick(contact.email)}>
                Send to {contact.name}
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
