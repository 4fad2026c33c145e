// End to end in Chromium: the embed, played inside another site's iframes (a strip and a 16:9
// card, and a sandboxed link card whose origin is opaque; a "#t=" link, Media Session, Copy link
// at current time, the shortcuts, axe in the frame), against the runner (the whole service
// on one machine) serving the built SPA. Tracks are uploaded through the API. Run from the
// repository root, alone or with the other files (see harness.mjs):
//
//   node --test e2e/embed.test.mjs
//
// Screenshots and the runner's log (runner-embed.log) go to test-artifacts/e2e/.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { assertAccessible } from './axe.mjs';
import * as h from './harness.mjs';
import { audioTime, BASE, browserReady, media, mmss, waitPlaying, waitPosition, waitState } from './harness.mjs';
import { clipboard, mediaSession } from './player.mjs';

h.setUp('embed');

describe('embed, in Chromium', () => {
  it('embed: plays inside a cross-site iframe, strip and 16:9 card; the title links to the track page', { timeout: 120_000 }, async () => {
    await browserReady();
    const t = await h.readyTrack('tagged');
    const host = await h.hostPage(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A blog that embeds Soundtime</title>
<style>body{font-family:sans-serif;margin:16px;max-width:720px}iframe{border:0;display:block;margin:12px 0}</style></head>
<body><h1>My post</h1><p>Listen:</p>
<iframe id="strip" src="${BASE}/embed/${t.id}" width="100%" height="166" title="Soundtime player" allow="autoplay"></iframe>
<p>And as a card:</p>
<iframe id="card" src="${BASE}/embed/${t.id}" width="640" height="360" title="Soundtime player, card" allow="autoplay"></iframe>
</body></html>`);
    try {
      await h.withPage({ viewport: { width: 800, height: 900 } }, async ({ page }) => {
        await page.goto(host.url);
        for (const sel of ['#strip', '#card']) {
          const frame = await (await page.$(sel)).contentFrame();
          assert.ok(frame, `${sel} has no frame`);
          assert.equal(frame.url(), `${BASE}/embed/${t.id}`);
          const embed = frame.locator('main.embed');
          await waitState(embed, 'ready');
          const title = embed.locator(`a[href="${BASE}/t/${t.id}"] .title`);
          assert.equal(await title.count(), 1, `${sel}: no .title inside a link to BASE/t/ID`);
          assert.equal(await title.innerText(), media.tagged.title, `${sel}: the title`);
          await embed.locator('button.play').waitFor();
          await embed.locator('div.waveform[role=slider]').waitFor();
        }
        await h.shot(page, 'embed-host', { fullPage: true });

        // Real clicks inside the frames (page.frameLocator); each frame's audio advances.
        for (const sel of ['#strip', '#card']) {
          const frame = await (await page.$(sel)).contentFrame();
          await page.frameLocator(sel).locator('main.embed button.play').click();
          await waitPlaying(frame, 1.0);
          await h.shot(page.locator(sel), `embed-${sel.slice(1)}`);
          await page.frameLocator(sel).locator('main.embed button.play').click(); // pause
          await h.waitFor(async () => (await audioTime(frame)).paused, { timeout: 5000, what: `${sel} to pause` });
        }
      });
    } finally {
      await host.close();
    }
  });

  it('embed: a "#t=" link starts there, Media Session shows the track, Copy link at current time and M work in the frame; axe finds nothing, loaded or playing', { timeout: 120_000 }, async () => {
    await browserReady();
    const t = await h.readyTrack('tagged');
    const f = media.tagged;
    const host = await h.hostPage(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A blog that links a moment</title>
<style>body{font-family:sans-serif;margin:16px}iframe{border:0;display:block}</style></head>
<body><h1>Skip to the good part</h1>
<iframe id="strip" src="${BASE}/embed/${t.id}#t=0:06" width="480" height="166" title="Soundtime player" allow="autoplay"></iframe>
</body></html>`);
    try {
      await h.withPage({ viewport: { width: 800, height: 600 } }, async ({ page, context }) => {
        await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(host.url).origin });
        await page.goto(host.url);
        const frame = await (await page.$('#strip')).contentFrame();
        const embed = frame.locator('main.embed');
        await waitState(embed, 'ready');
        const slider = embed.locator('div.waveform[role=slider]');
        await slider.waitFor({ timeout: 20_000 });
        assert.equal(await slider.getAttribute('aria-label'), `Seek in ${f.title}`);
        await waitPosition(frame, slider, 5.5, 6.5, '#t=0:06 in the embed');
        const meta = (await mediaSession(frame)).metadata;
        assert.deepEqual({ title: meta?.title, artist: meta?.artist, album: meta?.album, artwork: meta?.artwork.length }, { title: f.title, artist: f.artist, album: f.album, artwork: 1 }, 'Media Session metadata in the embed');
        await assertAccessible(frame, 'the embed (strip), loaded');

        const ui = page.frameLocator('#strip').locator('main.embed');
        await ui.locator('button.play').click();
        const first = await h.waitFor(async () => { const a = await audioTime(frame); return !a.paused && a.t > 0 && a; }, { what: 'playback to start in the embed' });
        assert.ok(first.t >= 5.5 && first.t < 11, `the embed started at ${first.t}, want 0:06`);
        await waitPlaying(frame, 7);
        await assertAccessible(frame, 'the embed (strip), playing');
        await h.shot(page.locator('#strip'), 'embed-strip-playing-at');

        // M in the frame mutes; the button says so.
        await page.keyboard.press('m');
        await h.waitFor(() => frame.evaluate(() => document.querySelector('audio').muted), { timeout: 5000, what: 'M to mute the embed' });
        assert.equal(await ui.getByRole('button', { name: 'Mute' }).getAttribute('aria-pressed'), 'true');
        await page.keyboard.press('m');

        // Paused, the link at the current time points at the track page, not the embed.
        await ui.locator('button.play').click();
        await h.waitFor(async () => (await audioTime(frame)).paused, { timeout: 5000, what: 'the embed to pause' });
        const at = Math.floor((await audioTime(frame)).t);
        await ui.getByRole('button', { name: 'Copy link at current time' }).click();
        const want = `${BASE}/t/${t.id}#t=${mmss(at)}`;
        assert.equal(await h.waitFor(async () => { const c = await clipboard(page); return c === want && c; }, { timeout: 5000, what: `${want} on the clipboard` }), want);
      });
    } finally {
      await host.close();
    }
  });

  it('embed: plays inside a sandboxed srcdoc frame on another site (a link card), its origin opaque', { timeout: 120_000 }, async () => {
    await browserReady();
    // A track of its own, through the API, so that this test also runs alone.
    const created = await h.apiUpload(BASE, media.tagged);
    await h.waitReady(BASE, created.id);
    const embedURL = `${BASE}/embed/${created.id}`;
    // How link-card renderers wrap third-party players: a sandboxed srcdoc frame without
    // allow-same-origin, so that it and every frame inside it (sandbox flags are inherited) run in
    // an opaque origin. frame-ancestors * does not match such an ancestor; the embed's fetches are
    // cross-origin with Origin: null, and localStorage throws there.
    const inner = `<!doctype html><meta charset="utf-8"><style>body{margin:0}iframe{border:0;display:block}</style>` +
      `<iframe src="${embedURL}" width="480" height="166" title="Soundtime player" allow="autoplay"></iframe>`;
    const host = await h.hostPage(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A link card</title>
<style>body{font-family:sans-serif;margin:16px}iframe{border:0;display:block}</style></head>
<body><p>A post with a link card:</p>
<iframe id="card" sandbox="allow-scripts allow-popups" width="500" height="180" title="Link card"
 srcdoc="${inner.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}"></iframe>
</body></html>`);
    try {
      await h.withPage({ viewport: { width: 800, height: 600 } }, async ({ page }) => {
        const framed = []; // every response for the embed document, with its framing headers
        page.on('response', (res) => {
          if (res.url() === embedURL) framed.push(res.headers());
        });
        await page.goto(host.url);
        const frame = await h.waitFor(() => page.frames().find((f) => f.url() === embedURL), { what: 'the embed frame inside the srcdoc frame' });
        assert.equal(frame.parentFrame()?.url(), 'about:srcdoc', 'the embed is not inside the srcdoc frame');
        assert.equal(await frame.evaluate(() => self.origin), 'null', 'the embed does not run in an opaque origin: the test proves nothing');
        for (const hd of framed) {
          assert.ok(!/frame-ancestors/i.test(hd['content-security-policy'] ?? ''), `the embed sends frame-ancestors: ${hd['content-security-policy']}`);
          assert.equal(hd['x-frame-options'], undefined, 'the embed sends X-Frame-Options');
        }
        const embed = frame.locator('main.embed');
        await waitState(embed, 'ready');
        await embed.locator('button.play').waitFor({ timeout: 20_000 });
        await embed.locator('div.waveform[role=slider]').waitFor();
        await h.shot(page, 'embed-sandboxed');
        // A real click, through both frames; the audio advances.
        await page.frameLocator('#card').frameLocator('iframe').locator('main.embed button.play').click();
        await waitPlaying(frame, 1.0);
      });
    } finally {
      await host.close();
    }
  });
});
