// End to end in Chromium: sets. Three files uploaded on the upload page become one set with
// "make a set of these files"; its page lists them without JavaScript (and carries the set's
// og:* tags); with JavaScript it plays through the list on one <audio> element: the end of a
// track starts the next, the Next and Previous buttons and the N and P keys move, and the
// system's media controls (Media Session) show the track playing. Run from the repository root:
//
//   node --test e2e/sets.test.mjs
//
// Screenshots and the runner's log (runner-sets.log) go to test-artifacts/e2e/.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { assertAccessible } from './axe.mjs';
import * as h from './harness.mjs';
import { audioTime, BASE, browserReady, media, metaMap, tags, waitPlaying, waitState } from './harness.mjs';

const { READY_TIMEOUT } = h;

h.setUp('sets');

const TITLE = 'E2E Set <b>"live"</b> & more';

/** The set made on the upload page, once: {id, url, token, tracks: [{id, title}]}. */
let made = null;

/** The title each file shows: its title tag, else its file name. */
const shownTitle = (f) => f.title ?? f.name;

describe('sets, in Chromium', () => {
  it('the upload page makes a set of three uploaded files', { timeout: 180_000 }, async () => {
    await browserReady();
    const files = ['tagged', 'xss', 'untagged'].map((k) => media[k]);
    await h.withPage(async ({ page }) => {
      await page.goto(`${BASE}/`);
      await page.locator('input[type=file]').setInputFiles(files.map((f) => f.path));
      const rows = page.locator('li.upload');
      await h.waitFor(async () => (await rows.count()) === 3, { what: 'three upload rows' });
      // Offered once the files are accepted (they may still be processing).
      const submit = page.getByRole('button', { name: 'Make a set of these 3 files' });
      await submit.waitFor({ timeout: READY_TIMEOUT });
      const field = page.getByLabel('Set title');
      await field.fill(TITLE);
      await submit.click();
      const link = page.locator('a.set-link');
      await link.waitFor({ timeout: 20_000 });
      const url = await link.getAttribute('href');
      const m = /^(.*)\/s\/([0-9A-Za-z]{8})$/.exec(url);
      assert.ok(m && m[1] === BASE, `set link ${url}`);
      const token = (await page.locator('.set-made code.delete-token').innerText()).trim();
      assert.ok(token.length >= 40, `set token ${token}`);
      await h.shot(page, 'sets-made', { fullPage: true });

      // The set lists the uploads in the order they were added, with the page's own IDs.
      const ids = [];
      for (const f of files) {
        const row = rows.filter({ hasText: f.name });
        await waitState(row, 'ready');
        ids.push(/\/t\/([0-9A-Za-z]{8})$/.exec(await row.locator('a.share-link').getAttribute('href'))[1]);
      }
      const { status, body } = await h.getJSON(`${BASE}/api/sets/${m[2]}`);
      assert.equal(status, 200);
      assert.equal(body.title, TITLE);
      assert.deepEqual(body.tracks.map((t) => t.id), ids, 'the set is not in upload order');
      made = { id: m[2], url, token, tracks: ids.map((id, i) => ({ id, title: shownTitle(files[i]), file: files[i] })) };
    });
  });

  it('without JavaScript the set page lists every track with its link, and the set has og:* tags', { timeout: 60_000 }, async () => {
    assert.ok(made, 'no set: the first test failed');
    const res = await fetch(made.url);
    assert.equal(res.status, 200);
    const html = await res.text();
    const meta = metaMap(html);
    assert.equal(meta['og:title'], TITLE);
    assert.equal(meta['og:type'], 'music.playlist');
    assert.equal(meta['og:url'], made.url);
    assert.match(meta['og:description'], /^3 tracks · /);
    assert.equal(meta['og:image'], `${BASE}/t/${made.tracks[0].id}/cover`, 'og:image: the first cover');
    assert.equal(meta.robots, 'noindex');
    assert.ok(!html.includes('<b>"live"</b>'), 'the title is not escaped');
    const links = tags(html, 'a').filter((a) => a.class === 'set-title').map((a) => a.href);
    assert.deepEqual(links, made.tracks.map((t) => `${BASE}/t/${t.id}`));

    // And in a browser with JavaScript off: the same list, readable.
    await browserReady();
    const b = await h.browser();
    const context = await b.newContext({ javaScriptEnabled: false });
    try {
      const page = await context.newPage();
      await page.goto(made.url);
      const items = page.locator('ol.set-tracks li.set-track');
      assert.equal(await items.count(), 3);
      for (const [i, t] of made.tracks.entries()) {
        const a = items.nth(i).locator('a.set-title');
        assert.equal((await a.innerText()).trim(), t.title);
        assert.equal(await a.getAttribute('href'), `${BASE}/t/${t.id}`);
        assert.match(await items.nth(i).locator('.set-duration').innerText(), new RegExp(`^0:${String(t.file.duration).padStart(2, '0')}$`));
      }
      assert.equal(await page.locator('button.play').count(), 0, 'a player without JavaScript');
      await h.shot(page, 'sets-nojs', { fullPage: true });
    } finally {
      await context.close();
    }
  });

  it('plays through: the end of a track starts the next; Next, Previous, N and P move; Media Session follows', { timeout: 180_000 }, async () => {
    assert.ok(made, 'no set: the first test failed');
    await browserReady();
    for (const t of made.tracks) await h.waitReady(BASE, t.id);
    await h.withPage(async ({ page }) => {
      await page.goto(made.url);
      const main = page.locator('main.set');
      const play = main.locator('button.play');
      await play.waitFor({ timeout: 20_000 });
      const current = () => main.getAttribute('data-current');
      const [one, two, three] = made.tracks;
      assert.equal(await current(), one.id, 'the first track is not the one in the player');
      assert.equal((await main.locator('h1.title').innerText()).trim(), TITLE);
      const next = main.getByRole('button', { name: 'Next track' });
      const previous = main.getByRole('button', { name: 'Previous track' });
      assert.equal(await previous.isDisabled(), true, 'Previous on the first track');

      /** Waits until track t is in the player, playing on the page's one <audio> element. */
      const playingNow = async (t, what) => {
        await h.waitFor(async () => (await current()) === t.id, { timeout: 20_000, what: `${what}: ${t.title} in the player` });
        await waitPlaying(page, 0.3);
        assert.equal((await main.locator('.now-title').innerText()).trim(), t.title, `${what}: the title shown`);
        assert.equal(await main.locator(`li.set-track[data-id="${t.id}"]`).getAttribute('aria-current'), 'true', `${what}: aria-current`);
        const session = await page.evaluate(() => {
          const m = navigator.mediaSession.metadata;
          return m && { title: m.title, artist: m.artist, album: m.album, artwork: m.artwork.map((a) => a.src) };
        });
        assert.equal(session?.title, t.title, `${what}: Media Session title`);
        assert.equal(session.artist, t.file.artist ?? '', `${what}: Media Session artist`);
        assert.equal(session.album, t.file.album ?? TITLE, `${what}: Media Session album`);
        assert.equal(session.artwork.length, t.file === media.untagged ? 0 : 1, `${what}: Media Session artwork`);
      };

      await assertAccessible(page, 'the set page, loaded');

      // A real click starts the first track.
      await play.click();
      await playingNow(one, 'first play');
      await h.shot(page, 'sets-playing');
      await assertAccessible(page, 'the set page, playing');

      // Its end starts the next one by itself: End on the seek slider jumps there.
      const slider = main.locator('div.waveform[role=slider]');
      await slider.focus();
      await page.keyboard.press('End');
      await playingNow(two, 'after the end of the first');
      assert.ok((await audioTime(page)).t < 5, 'the second track did not start from its beginning');

      await next.click();
      await playingNow(three, 'Next');
      assert.equal(await next.isDisabled(), true, 'Next on the last track');
      await previous.click();
      await playingNow(two, 'Previous');

      // The keys, wherever focus is (here: the seek slider, whose own keys they are not).
      await slider.focus();
      await page.keyboard.press('n');
      await playingNow(three, 'N');
      await page.keyboard.press('Shift+P');
      await playingNow(two, 'Shift+P');
      await page.keyboard.press('p');
      await playingNow(one, 'P');

      // A track of the list starts from its own button.
      await main.getByRole('button', { name: `Play ${three.title}` }).click();
      await playingNow(three, 'the list');
      assert.match(await page.title(), /E2E Set/, `document title ${await page.title()}`);
    });
  });

  it('a deleted set is gone; its tracks stay', { timeout: 60_000 }, async () => {
    assert.ok(made, 'no set: the first test failed');
    const res = await fetch(`${BASE}/api/sets/${made.id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${made.token}` } });
    assert.equal(res.status, 204);
    assert.equal((await fetch(made.url)).status, 404);
    for (const t of made.tracks) assert.equal((await fetch(`${BASE}/api/tracks/${t.id}`)).status, 200);
    await browserReady();
    await h.withPage({ tolerate: [{ test: (m) => /404/.test(m.text), why: 'the page of a deleted set answers 404' }] }, async ({ page }) => {
      const r = await page.goto(made.url);
      assert.equal(r.status(), 404);
      assert.match(await page.locator('main').innerText(), /Set not found/);
    });
  });
});
