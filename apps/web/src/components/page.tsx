import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { useOptionalTransfers } from '../transfers.js';
import { Incoming } from './incoming.js';

let firstPage = true;

/**
 * A page: its title in the tab and in the one h1. After a navigation the h1 takes focus, so a
 * screen reader announces the new page and Tab continues from its top (not on the first load).
 * While signed in, incoming files show under the h1 on every page.
 */
export function Page({ title, children }: { title: string; children: ComponentChildren }) {
  const heading = useRef<HTMLHeadingElement>(null);
  const signedIn = useOptionalTransfers() !== null;
  useEffect(() => {
    document.title = `${title} · CryptWeb`;
    if (firstPage) {
      firstPage = false;
      return;
    }
    heading.current?.focus();
  }, [title]);
  return (
    <>
      <h1 ref={heading} tabIndex={-1}>
        {title}
      </h1>
      {signedIn && <Incoming />}
      {children}
    </>
  );
}
