// End to end in Chromium: the track page (processing turning into the player, playing, seeking
// by keyboard, click and drag, a refused segment recovered, Download, untagged and markup titles,
// 360 px and reduced motion, not found; Media Session, "#t=" links, Copy link at current time,
// volume and mute remembered, the page's shortcuts, Share falling back to Copy, the QR code, axe), against the runner (the whole service on one machine)
// serving the built SPA. Tracks are uploaded through the API. Run from the repository root,
// alone or with the other files (see harness.mjs):
//
//   node --test e2e/track.test.mjs
//
// Screenshots and the runner's log (runner-track.log) go to test-artifacts/e2e/.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';

import { assertAccessible } from './axe.mjs';
import * as h from './harness.mjs';
import { audioTime, BASE, browserReady, media, mmss, openPlayer, waitPlaying, waitPosition, waitState } from './harness.mjs';
import { clipboard, decodeQR, mediaSession } from './player.mjs';

const { XSS_TITLE, READY_TIMEOUT } = h;

h.setUp('track');

describe('track page, in Chromium', () => {
  it('a track opened while processing turns into the player by itself', { timeout: 120_000 }, async () => {
    await browserReady();
    await h.withPage(async ({ page }) => {
      // The page opens before the bytes are even uploaded: the track is pending.
      const started = await h.apiStart(BASE, media.untagged);
      let navigations = 0;
      page.on('framenavigated', (f) => { if (f === page.mainFrame()) navigations++; });
      await page.goto(`${BASE}/t/${started.id}`);
      const main = page.locator('main.track');
      await h.waitFor(async () => ['pending', 'processing', 'loading'].includes(await main.getAttribute('data-state')) &&
        /processing/i.test(await main.innerText()), { timeout: 10_000, what: 'the page to say it is processing' });
      assert.equal(await main.locator('button.play').count(), 0, 'a player before the track is ready');
      assert.equal(await main.locator('a.download').count(), 0, 'a download link while pending');
      const before = navigations;
      await started.put();
      // Until it is ready (processing has not yet shown the file to be audio), nothing offers
      // the file for download.
      const offered = new Set(); // the states in which a download link showed
      await h.waitFor(async () => {
        // One read in the page's own turn: two reads could straddle the change to ready.
        const [state, downloads] = await main.evaluate((el) => [el.getAttribute('data-state'), el.querySelectorAll('a.download').length]);
        if (state !== 'ready' && downloads > 0) offered.add(state);
        return state === 'ready' || state === 'failed';
      }, { timeout: READY_TIMEOUT, interval: 100, what: 'the track to be ready' });
      assert.deepEqual([...offered], [], 'a download link before the track is ready');
      await waitState(main, 'ready');
      await main.locator('button.play').waitFor({ timeout: 20_000 });
      assert.equal(navigations, before, 'the page reloaded to become the player');
      await main.locator('button.play').click();
      await waitPlaying(page);
    });
  });

  it('track page: ready, plays, seeks with the keyboard, a click and a drag', { timeout: 120_000 }, async () => {
    await browserReady();
    const t = await h.readyTrack('tagged');
    const f = media.tagged;
    await h.withPage(async ({ page }) => {
      const main = await openPlayer(page, t.url);
      assert.equal((await main.locator('h1.title').innerText()).trim(), f.title, 'h1.title');
      assert.match(await main.locator('.artist').innerText(), /Test Signal/, '.artist');
      const cover = main.locator('img.cover');
      await cover.waitFor();
      await h.waitFor(() => cover.evaluate((img) => img.complete && img.naturalWidth > 0), { timeout: 10_000, what: 'the cover image to load' });
      assert.match(await main.locator('.expires').innerText(), /Expires in 1[34] days/, '.expires');
      assert.ok(await main.locator('dl.details').count(), 'no dl.details');
      assert.ok((await page.title()).includes(f.title), `document title ${await page.title()}`);

      const play = main.locator('button.play');
      const slider = main.locator('div.waveform[role=slider][tabindex="0"]');
      await slider.waitFor();
      assert.equal(await play.getAttribute('aria-label'), 'Play');
      assert.equal(await slider.getAttribute('aria-valuetext'), `0:00 of ${mmss(f.duration)}`, 'slider aria-valuetext before playing');
      assert.equal(Math.round(Number(await slider.getAttribute('aria-valuemax'))), f.duration, 'slider aria-valuemax');
      await h.shot(page, 'track-ready', { fullPage: true });

      // A real click starts playback; currentTime advances.
      await play.click();
      await waitPlaying(page, 1.0);
      assert.equal(await play.getAttribute('aria-label'), 'Pause');
      await h.shot(page, 'track-playing', { fullPage: true });

      // Pause, then seek with the keyboard on the focused slider.
      await play.click();
      await h.waitFor(async () => (await audioTime(page)).paused, { timeout: 5000, what: 'the audio to pause' });
      assert.equal(await play.getAttribute('aria-label'), 'Play');
      await slider.focus();
      await page.keyboard.press('Home');
      await waitPosition(page, slider, 0, 0.5, 'Home');
      await page.keyboard.press('ArrowRight');
      const at5 = await waitPosition(page, slider, 4.5, 5.5, 'ArrowRight from 0');
      assert.equal(at5.text, `0:05 of ${mmss(f.duration)}`, 'aria-valuetext after ArrowRight');
      assert.match(await main.locator('.time').innerText(), new RegExp(`^0:05\\s*/\\s*${mmss(f.duration)}$`), '.time after ArrowRight');
      await page.keyboard.press('ArrowRight');
      await waitPosition(page, slider, 9.5, 10.5, 'ArrowRight from 5');
      await page.keyboard.press('ArrowLeft');
      await waitPosition(page, slider, 4.5, 5.5, 'ArrowLeft from 10');
      await page.keyboard.press('End');
      await waitPosition(page, slider, f.duration - 1, f.duration + 0.5, 'End');
      await page.keyboard.press('Home');
      await waitPosition(page, slider, 0, 0.5, 'Home after End');

      // Playing again after the seeks starts from the start.
      await play.click();
      const again = await waitPlaying(page, 1.0);
      assert.ok(again.t < 8, `after Home and Play, currentTime ${again.t}`);
      // The keyboard seeks while playing too.
      await slider.focus();
      await page.keyboard.press('ArrowRight');
      await h.waitFor(async () => (await audioTime(page)).t >= again.t + 4, { timeout: 5000, what: 'ArrowRight while playing to jump ≈5 s ahead' });

      // A click on the waveform seeks to where it lands, and a drag follows the pointer.
      await play.click();
      await h.waitFor(async () => (await audioTime(page)).paused, { timeout: 5000, what: 'the audio to pause' });
      const box = await slider.boundingBox();
      const y = box.y + box.height / 2;
      await page.mouse.click(box.x + box.width * 0.75, y);
      await waitPosition(page, slider, f.duration * 0.75 - 1, f.duration * 0.75 + 1, 'a click at 75 % of the waveform');
      await page.mouse.move(box.x + box.width * 0.2, y);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.35, y, { steps: 5 });
      await page.mouse.move(box.x + box.width * 0.5, y, { steps: 5 });
      await page.mouse.up();
      await waitPosition(page, slider, f.duration * 0.5 - 1, f.duration * 0.5 + 1, 'a drag to 50 % of the waveform');
    });
  });

  it('a "#t=" link starts there; Media Session shows the track; Copy link at current time; axe finds nothing, loaded or playing', { timeout: 120_000 }, async () => {
    await browserReady();
    const t = await h.readyTrack('tagged');
    const f = media.tagged;
    await h.withPage(async ({ page, context }) => {
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE });
      const main = await openPlayer(page, `${t.url}#t=0:07`);
      const slider = main.locator('div.waveform[role=slider]');
      assert.equal(await slider.getAttribute('aria-label'), `Seek in ${f.title}`, 'the seek slider names the track');
      // Before any Play (autoplay is not allowed here), the position is already at 0:07.
      await waitPosition(page, slider, 6.5, 7.5, '#t=0:07 on load');
      assert.equal(await slider.getAttribute('aria-valuetext'), `0:07 of ${mmss(f.duration)}`);
      assert.equal((await audioTime(page)).paused, true, 'playing without a gesture');

      // The system's media controls: title, artist, album, the cover with its type and size.
      const meta = await mediaSession(page);
      assert.deepEqual(meta.metadata, {
        title: f.title,
        artist: f.artist,
        album: f.album,
        artwork: [{ src: await main.locator('img.cover').getAttribute('src'), sizes: '320x320', type: 'image/jpeg' }],
      }, 'navigator.mediaSession.metadata');
      await assertAccessible(page, 'the track page, loaded');

      // Play starts at 0:07, not at the start.
      await main.locator('button.play').click();
      const first = await h.waitFor(async () => { const a = await audioTime(page); return !a.paused && a.t > 0 && a; }, { what: 'playback to start' });
      assert.ok(first.t >= 6.5 && first.t < 12, `playback started at ${first.t}, want 0:07`);
      await waitPlaying(page, 8.2);
      assert.equal((await mediaSession(page)).playbackState, 'playing', 'mediaSession.playbackState while playing');
      await assertAccessible(page, 'the track page, playing');
      await h.shot(page, 'track-playing-at', { fullPage: true });

      // Paused, Copy link at current time gives the link at the whole second shown.
      await main.locator('button.play').click();
      await h.waitFor(async () => (await audioTime(page)).paused, { timeout: 5000, what: 'the audio to pause' });
      assert.equal((await mediaSession(page)).playbackState, 'paused', 'mediaSession.playbackState when paused');
      const at = Math.floor((await audioTime(page)).t);
      await main.getByRole('button', { name: 'Copy link at current time' }).click();
      const want = `${t.url}#t=${mmss(at)}`;
      assert.equal(await h.waitFor(async () => { const c = await clipboard(page); return c === want && c; }, { timeout: 5000, what: `${want} on the clipboard` }), want);

      // A "#t=" link followed on the page itself moves there.
      await page.evaluate(() => { location.hash = '#t=0:11'; });
      await waitPosition(page, slider, 10.5, 11.5, 'the fragment changed to #t=0:11');

      // That link, opened afresh, starts there too (plain seconds and 1h2m3s are understood as well).
      for (const [hash, secs] of [[`#t=${mmss(at)}`, at], ['#t=12', 12], ['#t=0h0m3s', 3]]) {
        await page.goto('about:blank');
        const again = await openPlayer(page, `${t.url}${hash}`);
        await waitPosition(page, again.locator('div.waveform[role=slider]'), secs - 0.5, secs + 0.5, `${hash} on load`);
      }
    });
  });

  it('volume and mute: M and the button mute, the slider sets the level, both remembered; Space and arrows, never while typing', { timeout: 120_000 }, async () => {
    await browserReady();
    const t = await h.readyTrack('tagged');
    await h.withPage(async ({ page }) => {
      let main = await openPlayer(page, t.url);
      const audio = () => page.evaluate(() => { const a = document.querySelector('audio'); return { volume: a.volume, muted: a.muted, paused: a.paused, t: a.currentTime }; });
      const mute = main.getByRole('button', { name: 'Mute' });
      assert.equal(await mute.getAttribute('aria-pressed'), 'false');
      assert.deepEqual(await audio().then(({ volume, muted }) => ({ volume, muted })), { volume: 1, muted: false });

      // The shortcuts are listed on the page.
      await main.locator('details.shortcuts summary').click();
      const help = await main.locator('details.shortcuts dl').innerText();
      for (const k of ['Space', '←', '→', 'M']) assert.ok(help.includes(k), `the shortcuts list does not name ${k}: ${help}`);

      // M anywhere on the page (focus on the body) mutes and unmutes.
      await main.locator('h1.title').click();
      await page.keyboard.press('m');
      await h.waitFor(async () => (await audio()).muted, { timeout: 5000, what: 'M to mute' });
      assert.equal(await mute.getAttribute('aria-pressed'), 'true');
      // The volume slider, by keyboard: 100 % → 90 %.
      const level = main.getByRole('slider', { name: 'Volume' });
      await level.focus();
      await page.keyboard.press('ArrowLeft');
      await page.keyboard.press('ArrowLeft');
      await h.waitFor(async () => Math.abs((await audio()).volume - 0.9) < 0.001, { timeout: 5000, what: 'the volume at 90 %' });
      assert.equal((await audio()).muted, false, 'moving the volume of a muted player left it muted');

      // Muted with the button; the next visit starts muted at 90 %.
      await mute.click();
      await h.waitFor(async () => (await audio()).muted, { timeout: 5000, what: 'the Mute button to mute' });
      main = await openPlayer(page, t.url);
      assert.deepEqual(await audio().then(({ volume, muted }) => ({ volume: Math.round(volume * 100), muted })), { volume: 90, muted: true }, 'volume and mute after a reload');
      assert.equal(await main.getByRole('button', { name: 'Mute' }).getAttribute('aria-pressed'), 'true');
      assert.equal(await main.getByRole('slider', { name: 'Volume' }).inputValue(), '90');
      await page.keyboard.press('M');
      await h.waitFor(async () => !(await audio()).muted, { timeout: 5000, what: 'M (capital) to unmute' });

      // Space plays and pauses, arrows seek 5 s, from anywhere but a field.
      await main.locator('h1.title').click();
      await page.keyboard.press('ArrowRight');
      await h.waitFor(async () => Math.abs((await audio()).t - 5) < 0.5, { timeout: 5000, what: '→ to seek to 0:05' });
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('ArrowLeft');
      await h.waitFor(async () => Math.abs((await audio()).t - 5) < 0.5, { timeout: 5000, what: '→ then ← to come back to 0:05' });
      await page.keyboard.press(' ');
      await waitPlaying(page, 5.5);
      await page.keyboard.press(' ');
      await h.waitFor(async () => (await audio()).paused, { timeout: 5000, what: 'Space to pause' });

      // Typing in a field is typing: the embed code's text area takes M, Space and arrows.
      await main.getByRole('button', { name: 'Embed' }).click();
      const before = await audio();
      await main.locator('textarea.embed-code').focus();
      for (const k of ['m', ' ', 'ArrowRight']) await page.keyboard.press(k);
      const after = await audio();
      assert.deepEqual({ muted: after.muted, paused: after.paused, t: Math.round(after.t) }, { muted: before.muted, paused: before.paused, t: Math.round(before.t) }, 'keys typed in a field drove the player');
    });
  });

  it('Share copies the link where there is no Web Share API, and opens the share sheet where there is; the QR code decodes to the link', { timeout: 120_000 }, async () => {
    await browserReady();
    const t = await h.readyTrack('tagged');
    const f = media.tagged;
    await h.withPage(async ({ page, context }) => {
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE });
      const main = await openPlayer(page, t.url);
      // Desktop Chromium on Linux has no navigator.share: the button copies, and says so.
      assert.equal(await page.evaluate(() => typeof navigator.share), 'undefined', 'this Chromium has navigator.share: the fallback is not tested');
      const share = main.locator('.actions button.share');
      assert.equal((await share.innerText()).trim(), 'Copy link');
      await share.click();
      await h.waitFor(async () => (await share.innerText()).trim() === 'Copied', { timeout: 5000, what: 'Copied on the button' });
      assert.equal(await clipboard(page), t.url, 'the clipboard after Copy link');

      // The QR code: an SVG drawn on demand, which a QR reader decodes to the link.
      await main.getByRole('button', { name: 'QR code' }).click();
      const svg = main.locator('svg.qr-code');
      await svg.waitFor({ timeout: 10_000 });
      assert.equal(await svg.getAttribute('aria-label'), `QR code of the link to ${f.title}`);
      assert.equal(await decodeQR(context, await svg.screenshot()), t.url, 'the QR code decodes to another text');
      await assertAccessible(page, 'the track page with its QR code');
      await h.shot(page, 'track-qr', { fullPage: true });
    });

    // Where navigator.share exists (phones), the button says Share and hands over the link and title.
    await h.withPage(async ({ page, context }) => {
      await context.addInitScript(() => {
        window.__shared = [];
        Object.defineProperty(Navigator.prototype, 'share', { configurable: true, value: (d) => (window.__shared.push(d), Promise.resolve()) });
      });
      const main = await openPlayer(page, t.url);
      const share = main.locator('.actions button.share');
      assert.equal((await share.innerText()).trim(), 'Share');
      await share.click();
      const shared = await h.waitFor(async () => { const s = await page.evaluate(() => window.__shared); return s.length && s; }, { timeout: 5000, what: 'navigator.share to be called' });
      assert.deepEqual(shared, [{ url: t.url, title: f.title }]);
    });
  });

  it('a segment refused with 403 (its signed URL expired) makes the player fetch a fresh playlist and play on', { timeout: 90_000 }, async () => {
    await browserReady();
    const t = await h.readyTrack('tagged');
    const tolerate = [{
      test: ({ text, url }) => /status of 403/.test(text) && /\/seg00001\.ts/.test(url),
      why: 'the test answers 403 once for the second segment, as S3 does for an expired signature',
    }];
    await h.withPage({ tolerate }, async ({ page }) => {
      let refused = 0;
      let playlists = 0;
      page.on('request', (req) => { if (new URL(req.url()).pathname.endsWith('/stream.m3u8')) playlists++; });
      await page.route((url) => url.pathname.endsWith('/seg00001.ts'), async (route) => {
        if (refused === 0) {
          refused++;
          await route.fulfill({ status: 403, contentType: 'application/xml', body: '<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>' });
          return;
        }
        await route.continue();
      });
      const main = await openPlayer(page, t.url);
      const slider = main.locator('div.waveform[role=slider]');
      await slider.focus();
      await page.keyboard.press('ArrowRight'); // 0:05, so the second segment (from 0:10) comes soon
      await waitPosition(page, slider, 4.5, 5.5, 'ArrowRight from 0');
      await main.locator('button.play').click();
      // Playback crosses into the refused segment and goes on.
      await waitPlaying(page, 11.5, 30_000);
      assert.equal(refused, 1, 'the second segment was never requested');
      assert.ok(playlists >= 2, `the playlist was fetched ${playlists} time(s): no reload after the 403`);
      assert.equal((await main.getAttribute('data-state')), 'ready');
    });
  });

  it('Download gives the uploaded bytes', { timeout: 60_000 }, async () => {
    await browserReady();
    const t = await h.readyTrack('tagged');
    const f = media.tagged;
    await h.withPage(async ({ page }) => {
      await openPlayer(page, t.url);
      const link = page.locator('a.download');
      const href = new URL(await link.getAttribute('href'), BASE);
      assert.equal(href.href, `${BASE}/api/tracks/${t.id}/download?redirect=1`, 'a.download href');
      const [download] = await Promise.all([page.waitForEvent('download', { timeout: 20_000 }), link.click()]);
      assert.equal(await download.failure(), null, 'the download failed');
      assert.equal(download.suggestedFilename(), f.name, 'the download is not named as the upload');
      const saved = path.join(h.ARTIFACTS, 'downloaded.mp3');
      await download.saveAs(saved);
      const bytes = await readFile(saved);
      assert.equal(bytes.length, f.bytes.length, 'downloaded size');
      assert.equal(h.sha256(bytes), f.sha256, 'downloaded bytes differ from the uploaded file');
    });
  });

  it('untagged track: the file name as title, a placeholder cover', { timeout: 60_000 }, async () => {
    await browserReady();
    const t = await h.readyTrack('untagged');
    await h.withPage(async ({ page }) => {
      const main = await openPlayer(page, t.url);
      assert.match((await main.locator('h1.title').innerText()).trim(), /^untagged-tone(\.wav)?$/, 'h1.title of an untagged file');
      assert.equal(await main.locator('img.cover').count(), 0, 'an untagged file has no cover image');
      assert.equal(await main.locator('.cover.placeholder').count(), 1, 'no .cover.placeholder');
      assert.equal(await main.locator('a.download').count(), 1, 'no download link');
    });
  });

  it('markup in the title shows literally on the track and embed pages; no dialog fires', { timeout: 60_000 }, async () => {
    await browserReady();
    const t = await h.readyTrack('xss');
    await h.withPage(async ({ page }) => {
      const main = await openPlayer(page, t.url);
      assert.equal(await main.locator('h1.title').innerText(), XSS_TITLE, 'h1.title on the track page');
      assert.ok((await page.title()).includes(XSS_TITLE), `document title ${await page.title()}`);
      const injected = await page.evaluate(() => [...document.scripts].filter((s) => s.textContent.includes('alert(1)')).length);
      assert.equal(injected, 0, 'a script element carries the title');

      const embed = await openPlayer(page, `${BASE}/embed/${t.id}`, 'embed');
      const title = embed.locator(`a[href="${BASE}/t/${t.id}"] .title`);
      assert.equal(await title.innerText(), XSS_TITLE, 'the title on the embed page (a .title inside the link to BASE/t/ID)');
      // Play it, so that anything rendered late (playing state, time) had its chance to misbehave.
      await embed.locator('button.play').click();
      await waitPlaying(page, 0.5);
    });
    // withPage fails the test here on any dialog (alert(1) would be one).
  });

  it('track page at 360 px wide: no sideways scroll, 44 px touch targets; reduced motion stops every transition', { timeout: 60_000 }, async () => {
    await browserReady();
    const t = await h.readyTrack('tagged');
    await h.withPage({ viewport: { width: 360, height: 740 } }, async ({ page }) => {
      await openPlayer(page, t.url);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(overflow <= 360, `the page is ${overflow} px wide at 360: it scrolls sideways`);
      const box = await page.locator('button.play').boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= 360, `the play button is outside the viewport: ${JSON.stringify(box)}`);
      // Touch targets: every visible control is at least 44 × 44 px.
      const small = await page.evaluate(() => [...document.querySelectorAll('button, a.download, [role=slider], .button')]
        .filter((e) => e.offsetParent !== null)
        .map((e) => ({ what: e.className || e.tagName, r: e.getBoundingClientRect() }))
        .filter(({ r }) => r.width < 44 || r.height < 44)
        .map(({ what, r }) => `${what} ${Math.round(r.width)}×${Math.round(r.height)}`));
      assert.deepEqual(small, [], 'controls under 44 × 44 px');
      await h.shot(page, 'track-360', { fullPage: true });

      // Reduced motion: nothing transitions or animates.
      await page.emulateMedia({ reducedMotion: 'reduce' });
      const moving = await page.evaluate(() => [...document.querySelectorAll('*')]
        .map((e) => getComputedStyle(e))
        .filter((st) => st.transitionDuration.split(',').some((d) => parseFloat(d) > 0) || (st.animationName !== 'none' && st.animationName !== ''))
        .length);
      assert.equal(moving, 0, `${moving} elements still transition or animate with prefers-reduced-motion: reduce`);
    });
  });

  it('unknown ID: the not-found page', { timeout: 30_000 }, async () => {
    await browserReady();
    const tolerate = [{
      // The document itself is the 404 this test asks for; Chromium logs every 4xx resource.
      test: ({ text, url }) => /status of 404/.test(text) && /\/t\/Zz9Zz9Zz$/.test(url),
      why: 'the page under test answers 404 on purpose',
    }];
    await h.withPage({ tolerate }, async ({ page }) => {
      const res = await page.goto(`${BASE}/t/Zz9Zz9Zz`);
      assert.equal(res.status(), 404);
      await page.getByText('Track not found').first().waitFor({ timeout: 10_000 });
      await h.shot(page, 'not-found', { fullPage: true });
    });
  });
});
