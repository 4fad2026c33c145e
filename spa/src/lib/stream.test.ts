import { expect, it } from 'vitest';
import { localPath } from './stream';

it('keeps the API on the page origin and leaves media URLs alone', () => {
  const page = 'http://localhost:8091';
  expect(localPath('http://127.0.0.1:8091/api/tracks/Ab3dEf9Z/stream.m3u8', page)).toBe('/api/tracks/Ab3dEf9Z/stream.m3u8');
  expect(localPath('http://localhost:8091/api/tracks/Ab3dEf9Z/stream.m3u8', page)).toBe('http://localhost:8091/api/tracks/Ab3dEf9Z/stream.m3u8');
  expect(localPath('http://127.0.0.1:43027/bucket/preview.ogg?X-Amz-Signature=1', page)).toBe('http://127.0.0.1:43027/bucket/preview.ogg?X-Amz-Signature=1');
  expect(localPath('/api/tracks/x/stream.m3u8', page)).toBe('http://localhost:8091/api/tracks/x/stream.m3u8');
});
