// End to end in Chromium: a long track plays on its page while it is still processing (the
// EVENT playlist, from the beginning, not the live edge), the total reads "so far" until it is
// known, and the same player goes on once the track is ready. Run from the repository root:
//
//   node --test e2e/live.test.mjs

import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';

import * as h from './harness.mjs';
import { BASE, browserReady, waitPlaying, waitState } from './harness.mjs';

h.setUp('live');

describe('playing while processing, in Chromium', () => {
  it('the track page plays a long upload before it is ready', { timeout: 420_000 }, async () => {
    await browserReady();
    // Eight minutes: processing takes long enough on this machine to press Play meanwhile.
    const p = path.join(h.media.dir, 'eight minutes.mp3');
    await h.ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100:duration=480', '-c:a', 'libmp3lame', '-b:a', '96k', '-ac', '2', p]);
    const { readFile } = await import('node:fs/promises');
    const file = { path: p, name: 'eight minutes.mp3', type: 'audio/mpeg', bytes: await readFile(p) };
    await h.withPage(async ({ page }) => {
      const created = await h.apiUpload(BASE, file);
      await page.goto(`${BASE}/t/${created.id}`);
      const main = page.locator('main.track');
      await main.locator('button.play').waitFor({ timeout: 60_000 });
      assert.equal(await main.getAttribute('data-state'), 'processing', 'the player showed only once ready');
      assert.match(await main.locator('.time .total').innerText(), /so far/);
      await main.locator('button.play').click();
      const playing = await waitPlaying(page, 1.0, 30_000);
      // From the beginning: hls.js would join an EVENT playlist near its end by default.
      assert.ok(playing.t < 30, `playback started at ${playing.t} s, not at the beginning`);
      const { body: track } = await h.getJSON(`${BASE}/api/tracks/${created.id}`);
      assert.equal(track.status, 'processing', 'the track was ready before it played: nothing shown about playing while processing');
      assert.equal(track.playable, true);
      await waitState(main, 'ready', { timeout: 300_000 });
      // The same player goes on across the change, and the total is the track's.
      await h.waitFor(async () => !/so far/.test(await main.locator('.time .total').innerText()), { what: 'the total to be known' });
      assert.equal(await main.locator('.time .total').innerText(), '8:00');
      const after = await waitPlaying(page, playing.t + 0.5, 30_000);
      assert.ok(!after.paused, 'playback stopped when the track became ready');
    });
  });
});
