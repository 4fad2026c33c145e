import { describe, expect, it } from 'vitest';
import { ApiError } from './api';
import { apiSentence, errorSentence, s3Error, storageSentence } from './sentences';

/** An S3 error body as S3 (and the Versity gateway) sends it. */
const xml = (code: string, message: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>4442587FB7D0A2F9</RequestId><HostId>x</HostId></Error>`;

describe('storageSentence', () => {
  it.each([
    [400, 'BadDigest', 'The Content-MD5 you specified did not match what was received.', /^The file changed while it was being sent.*retry\.$/],
    [400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed object size.', /^The file is larger than storage accepts/],
    [403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.', /clock is wrong by more than 15 minutes\. Set the date and time correctly/],
    [403, 'AccessDenied', 'Request has expired', /^The upload link expired before the file was sent\. Retry/],
    [400, 'ExpiredToken', 'The provided token has expired.', /^The upload link expired/],
    [403, 'AccessDenied', 'Access Denied', /^Storage refused the upload\. Retry: the page asks for a new upload link\.$/],
    [503, 'SlowDown', 'Please reduce your request rate.', /^Storage is busy and asked to slow down\. Wait a minute, then retry\.$/],
    [403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.', /no longer matches what the page announced/],
    [404, 'NoSuchUpload', 'The specified upload does not exist.', /no longer exists in storage/],
    [500, 'InternalError', 'We encountered an internal error. Please try again.', /^Storage had a problem on its side\. Wait a minute, then retry\.$/],
    [400, 'RequestTimeout', 'Your socket connection to the server was not read from or written to within the timeout period.', /connection stalled/],
  ])('%i %s → a sentence, never the XML', (status, code, message, want) => {
    const got = storageSentence(status, xml(code, message));
    expect(got).toMatch(want);
    expect(got).not.toMatch(/[<>]/);
    expect(got).not.toContain(code);
    expect(got).not.toContain(message);
  });

  it.each([
    [0, '', /^The connection to storage was lost\. Check your connection, then retry\.$/],
    [503, '', /^Storage is busy/],
    [502, '<html><body>Bad gateway</body></html>', /^Storage had a problem/],
    [403, '', /^Storage refused the upload\. Retry/],
    [400, xml('SomethingNew', 'A new kind of error'), /^Storage refused the upload \(error 400\)\. Retry; if it fails again, add the file again later\.$/],
    [409, 'not xml at all <Code>', /\(error 409\)/],
  ])('%i with body %j → %s', (status, body, want) => {
    const got = storageSentence(status, body);
    expect(got).toMatch(want);
    expect(got).not.toMatch(/[<>]/);
  });
});

describe('s3Error', () => {
  it('reads Code and Message', () => {
    expect(s3Error(xml('BadDigest', 'x y'))).toEqual({ code: 'BadDigest', message: 'x y' });
    expect(s3Error('<Error><Code>SlowDown</Code></Error>')).toEqual({ code: 'SlowDown', message: '' });
  });
  it.each(['', 'plain text', '{"error":{"code":"x"}}', '<Code></Code>', '<Code><script></Code>'])('%j is no S3 error', (body) => {
    expect(s3Error(body)).toBeNull();
  });
});

describe('apiSentence', () => {
  it.each([
    ['network', 0, /^The server could not be reached\. Check your connection, then retry\.$/],
    ['rate_limited', 429, /^Too many uploads .* Wait a few minutes, then retry\.$/],
    ['too_large', 413, /over the size limit/],
    ['unsupported_type', 400, /not accepted\. Upload MP3/],
    ['invalid_filename', 400, /Rename the file/],
    ['forbidden', 403, /delete token/],
    ['not_found', 404, /deleted or has expired/],
    ['not_pending', 409, /Add the file again/],
    ['internal', 500, /^The server had a problem\. Wait a minute, then retry\.$/],
    ['http_502', 502, /^The server had a problem\./],
  ])('%s → a sentence that says what to do', (code, status, want) => {
    expect(apiSentence(new ApiError(status, code, 'raw'))).toMatch(want);
  });

  it('an unknown code keeps the server message, which is safe to show', () => {
    expect(apiSentence(new ApiError(400, 'invalid_title', 'The title is too long.'))).toBe('The title is too long.');
  });

  it('errorSentence: API errors mapped, other errors as they say, and never empty', () => {
    expect(errorSentence(new ApiError(429, 'rate_limited', 'x'))).toMatch(/^Too many uploads/);
    expect(errorSentence(new Error('Storage had a problem.'))).toBe('Storage had a problem.');
    expect(errorSentence('what')).toBe('Something went wrong. Retry.');
    expect(errorSentence(new Error(''))).toBe('Something went wrong. Retry.');
  });
});
