import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { announce, copyText } from '../lib/dom';
import { embedSnippet } from '../lib/embed';
import { NoteIcon } from './icons';

/** A button that copies text and says so, visibly and to screen readers. */
export function CopyButton({ text, label, what }: { text: string; label: string; what: string }) {
  const [done, setDone] = useState<null | boolean>(null);
  const copy = async () => {
    const ok = await copyText(text);
    setDone(ok);
    announce(ok ? 'Copied' : `Could not copy the ${what}; select it and copy it yourself.`);
    setTimeout(() => setDone(null), 2000);
  };
  return (
    <button type="button" class="button secondary copy" onClick={() => void copy()}>
      {done === true ? 'Copied' : done === false ? 'Copy failed' : label}
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
