// The calls only an uploader makes, with the track's delete token: the parts of a multipart
// upload (see docs/api.md, "Large files: multipart upload"). Apart from api.ts so that the pages
// that only play tracks do not load them.

import { call, trackPath, type PartsListing, type SignedPart, type Track } from './api';

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
/** A POST of JSON with the track's delete token, as the multipart calls take. */
const postAsOwner = (token: string, body: unknown, signal?: AbortSignal): RequestInit => ({
  method: 'POST',
  signal,
  headers: { ...bearer(token), 'Content-Type': 'application/json' },
  body: JSON.stringify(body),
});

/** Signs parts (1–100 a call) of a pending multipart upload. */
export const signParts = (id: string, token: string, parts: Array<{ number: number; md5: string; size: number }>, signal?: AbortSignal) =>
  call<{ parts: SignedPart[] }>(`${trackPath(id)}/parts`, postAsOwner(token, { parts }, signal)).then((r) => r.parts);

/** What storage already holds of a pending multipart upload. */
export const listParts = (id: string, token: string, signal?: AbortSignal) =>
  call<PartsListing>(`${trackPath(id)}/parts`, { signal, headers: bearer(token) });

/** Completes a multipart upload: every part with its ETag, and the whole file's MD5. */
export const completeUpload = (id: string, token: string, parts: Array<{ number: number; etag: string }>, md5: string, signal?: AbortSignal) =>
  call<Track>(`${trackPath(id)}/complete`, postAsOwner(token, { parts, md5 }, signal));
