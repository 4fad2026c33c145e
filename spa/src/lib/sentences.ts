// What went wrong with an upload, said as a sentence that tells people what to do. Storage (S3,
// or the Versity gateway under `make dev`) answers a refused PUT with an XML body; the API answers
// with {"error": {"code", "message"}}. Neither the XML nor a bare status code is ever shown: each
// known code has its sentence, and anything else gets a general one with the status.

import { ApiError } from './api';

/** The Code and Message of an S3 XML error body, if it is one. */
export function s3Error(body: string): { code: string; message: string } | null {
  const code = /<Code>\s*([A-Za-z0-9.]{1,64})\s*<\/Code>/.exec(body)?.[1];
  if (!code) return null;
  const message = /<Message>([^<]{0,300})<\/Message>/.exec(body)?.[1] ?? '';
  return { code, message };
}

const RETRY_LATER = 'Wait a minute, then retry.';

/** Sentences for S3's error codes (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html). */
const STORAGE: Record<string, string> = {
  BadDigest: 'The file changed while it was being sent, or was damaged on the way: storage received other bytes than the page checked. Make sure the file is not being edited, then retry.',
  InvalidDigest: 'The file changed while it was being sent, or was damaged on the way: storage received other bytes than the page checked. Make sure the file is not being edited, then retry.',
  EntityTooLarge: 'The file is larger than storage accepts for this upload. Check that the file was not replaced by a larger one, then add it again.',
  EntityTooSmall: 'A part of the file was smaller than storage accepts. Add the file again to start over.',
  IncompleteBody: 'The connection was cut before the whole file arrived. Check your connection, then retry.',
  RequestTimeout: 'The connection stalled and storage stopped waiting for the file. Check your connection, then retry.',
  RequestTimeTooSkewed: "Storage refused the upload because this device's clock is wrong by more than 15 minutes. Set the date and time correctly (automatic time usually fixes it), then retry.",
  SignatureDoesNotMatch: 'Storage refused the upload because the file no longer matches what the page announced (its size or type changed). Add the file again.',
  ExpiredToken: 'The upload link expired before the file was sent. Retry: the page asks for a new one.',
  NoSuchUpload: 'This upload no longer exists in storage: it was cancelled, deleted or expired. Add the file again to start over.',
  SlowDown: `Storage is busy and asked to slow down. ${RETRY_LATER}`,
  ServiceUnavailable: `Storage is unavailable for a moment. ${RETRY_LATER}`,
  InternalError: `Storage had a problem on its side. ${RETRY_LATER}`,
};

const EXPIRED = 'The upload link expired before the file was sent. Retry: the page asks for a new one.';

/** A refused request to storage (status 0: no answer at all), as a sentence. */
export function storageSentence(status: number, body = ''): string {
  if (status === 0) return 'The connection to storage was lost. Check your connection, then retry.';
  const e = s3Error(body);
  if (e) {
    // AWS says "Request has expired" under AccessDenied; so does the Versity gateway.
    if (/expired/i.test(e.message)) return EXPIRED;
    if (STORAGE[e.code]) return STORAGE[e.code];
    if (e.code === 'AccessDenied') return 'Storage refused the upload. Retry: the page asks for a new upload link.';
  }
  if (status === 503) return STORAGE.SlowDown;
  if (status >= 500) return STORAGE.InternalError;
  if (status === 403) return 'Storage refused the upload. Retry: the page asks for a new upload link.';
  return `Storage refused the upload (error ${status}). Retry; if it fails again, add the file again later.`;
}

/** Sentences for the API's error codes (docs/api.md), where its own message says less. */
const API: Record<string, string> = {
  network: 'The server could not be reached. Check your connection, then retry.',
  rate_limited: 'Too many uploads from your connection in a short time. Wait a few minutes, then retry.',
  too_large: 'The file is over the size limit. Shorten or compress it, then add it again.',
  unsupported_type: 'This kind of file is not accepted. Upload MP3, AAC, Ogg, Opus, FLAC, WAV, M4A, AIFF or WebM.',
  invalid_filename: 'The file name cannot be used (too long, or with invisible or control characters). Rename the file, then add it again.',
  invalid_size: 'The file is empty or over the size limit. Choose another file.',
  invalid_md5: 'The page could not check the file. Reload the page, then add the file again.',
  invalid_request: 'The server did not understand the request. Reload the page, then add the file again.',
  unsupported_media_type: 'The server did not understand the request. Reload the page, then add the file again.',
  forbidden: 'The server refused: this browser does not hold the delete token of this track.',
  not_found: 'This track no longer exists: it was deleted or has expired.',
  not_pending: 'This upload is over: it was completed, cancelled or it expired. Add the file again if it did not arrive.',
  invalid_part: 'The server refused a part of the file. Add the file again to start over.',
  invalid_parts: 'The server refused a part of the file. Add the file again to start over.',
  internal: `The server had a problem. ${RETRY_LATER}`,
};

/** An API error as a sentence: the code's own, else the server's message (safe to show). */
export function apiSentence(err: ApiError): string {
  if (API[err.code]) return API[err.code];
  if (err.status >= 500) return API.internal;
  return err.message;
}

/** Any error of the upload path as a sentence. */
export function errorSentence(err: unknown): string {
  if (err instanceof ApiError) return apiSentence(err);
  if (err instanceof Error && err.message) return err.message;
  return 'Something went wrong. Retry.';
}
