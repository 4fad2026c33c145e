import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { announce, copyText, policyAllows } from '../lib/dom';
import { embedSnippet } from '../lib/embed';
import { canShare, shareLink, type ShareResult } from '../lib/share';
import { NoteIcon } from './icons';

/**
 * A button that copies text and says so, visibly and to screen readers. text may be a function,
 * asked at the click (a link at the current time).
 */
export function CopyButton({ text, label, what, class: cls, children }: { text: string | (() => string); label: string; what: string; class?: string; children?: ComponentChildren }) {
  const [done, setDone] = useState<null | boolean>(null);
  const copy = async () => {
    const ok = await copyText(typeof text === 'function' ? text() : text);
    setDone(ok);
    announce(ok ? 'Copied' : `Could not copy the ${what}; select it and copy it yourself.`);
    setTimeout(() => setDone(null), 2000);
  };
  return (
    <button type="button" class={'button secondary copy' + (cls ? ' ' + cls : '')} onClick={() => void copy()}>
      {children}
      <span class="copy-label">{done === true ? 'Copied' : done === false ? 'Copy failed' : label}</span>
    </button>
  );
}

/**
 * Share: the system's share sheet where the browser has one (phones), which says "Share";
 * elsewhere, or when the sheet cannot open, it copies the link and says "Copy link".
 */
export function ShareButton({ url, title }: { url: string; title: string }) {
  const [done, setDone] = useState<ShareResult | null>(null);
  // In a frame not allowed to share, the sheet would refuse (with an error in the console): copy.
  const nav = typeof navigator === 'undefined' || !policyAllows('web-share') ? undefined : navigator;
  const label = canShare(nav, { url, title }) ? 'Share' : 'Copy link';
  const share = async () => {
    const r = await shareLink({ url, title }, nav, copyText);
    setDone(r);
    if (r === 'copied') announce('Copied');
    else if (r === 'failed') announce('Could not copy the link; select it and copy it yourself.');
    setTimeout(() => setDone(null), 2000);
  };
  return (
    <button type="button" class="button secondary copy share" onClick={() => void share()}>
      <span class="copy-label">{done === 'copied' ? 'Copied' : done === 'failed' ? 'Copy failed' : label}</span>
    </button>
  );
}

export function EmbedCode({ url, id, title }: { url: string; id: string; title: string }) {
  const snippet = embedSnippet(url, id, title);
  const fieldId = `embed-${id}`;
  return (
    <div class="embed-block">
      <label for={fieldId} class="embed-label">
        Embed code
      </label>
      <textarea
        id={fieldId}
        class="embed-code"
        readOnly
        rows={3}
        value={snippet}
        spellcheck={false}
        onFocus={(e) => e.currentTarget.select()}
      />
      <CopyButton text={snippet} label="Copy embed code" what="embed code" />
    </div>
  );
}

export function Cover({ src, title, class: cls }: { src?: string; title: string; class?: string }) {
  // Which src failed: a freshly signed URL (after a re-fetch) gets its own chance.
  const [broken, setBroken] = useState<string | null>(null);
  if (src && broken !== src) {
    return <img class={'cover' + (cls ? ' ' + cls : '')} src={src} alt={`Cover of ${title}`} onError={() => setBroken(src)} />;
  }
  return (
    <div class={'cover placeholder' + (cls ? ' ' + cls : '')} aria-hidden="true">
      <NoteIcon />
    </div>
  );
}

export function Brand({ children }: { children?: ComponentChildren }) {
  return (
    <header class="site-header">
      <a class="brand" href="/">
        Soundtime
      </a>
      {children}
    </header>
  );
}
