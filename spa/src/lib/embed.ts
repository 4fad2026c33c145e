// The iframe snippet people paste elsewhere. It is plain text shown in a textarea; the title
// is escaped for an attribute so a title with markup or quotes stays inert where pasted.

export function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** The embed page URL for a track, from the track's own share URL (BASE/t/ID). */
export function embedUrl(trackUrl: string, id: string): string {
  let origin: string;
  try {
    origin = new URL(trackUrl).origin;
  } catch {
    origin = typeof location !== 'undefined' ? location.origin : '';
  }
  return `${origin}/embed/${encodeURIComponent(id)}`;
}

export function embedSnippet(trackUrl: string, id: string, title: string): string {
  const src = escapeAttr(embedUrl(trackUrl, id));
  return `<iframe src="${src}" width="100%" height="166" frameborder="0" allow="autoplay" title="${escapeAttr(title)}"></iframe>`;
}
