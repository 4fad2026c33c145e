// End to end in Chromium: what the pages say about the fediverse. The upload page's "Public"
// option names the account (@tracks@HOST, from GET /api/config) and is disabled with the reason
// when federation is off; a public track's page says it will be, then that it was, announced,
// with the handle and Copy; its raw HTML links the Note (rel="alternate" activity+json); a private
// track shows none of it; a config that cannot be read shows nothing and breaks nothing. Against
// the runner (federation on, its default) serving the built SPA. Run from the repository root,
// alone or with the other files (see harness.mjs):
//
//   node --test e2e/federation-ui.test.mjs
//
// Screenshots and the runner's log (runner-federation-ui.log) go to test-artifacts/e2e/.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import * as h from './harness.mjs';
import { assertShareURL, BASE, browserReady, media, openPlayer, waitState } from './harness.mjs';

const { READY_TIMEOUT } = h;

h.setUp('federation-ui');

const PUBLIC = 'Public — announce it to the fediverse';
const ACTIVITY_JSON = 'application/activity+json';

/** The handle the runner announces with: @tracks@HOST, HOST being BASE's host with its port. */
const handle = () => `@tracks@${new URL(BASE).host}`;

/** The rel="alternate" activity+json links of the raw HTML of /t/{id}, before any script. */
async function activityLinks(id) {
  const res = await fetch(`${BASE}/t/${id}`);
  assert.equal(res.status, 200, `GET /t/${id}`);
  const html = await res.text();
  return h.tags(html, 'link').filter((l) => (l.rel ?? '').toLowerCase().split(/\s+/).includes('alternate') && l.type === ACTIVITY_JSON);
}

/**
 * Uploads one file through the upload page with "Public" ticked or not; returns the share link's
 * ID and the body of the page's POST /api/tracks.
 */
async function uploadThroughPage(page, file, { isPublic }) {
  const started = [];
  page.on('request', (req) => {
    if (req.method() === 'POST' && new URL(req.url()).pathname === '/api/tracks') started.push(JSON.parse(req.postData() ?? '{}'));
  });
  const res = await page.goto(`${BASE}/`);
  assert.equal(res.status(), 200, 'GET /');
  const pub = page.getByRole('checkbox', { name: PUBLIC });
  // The option names the account once the config has answered; the sentence is the checkbox's
  // description (aria-describedby).
  const help = page.locator('#public-help');
  await h.waitFor(async () => (await help.innerText()).includes(handle()), { timeout: 10_000, what: `the Public option to name ${handle()}` });
  assert.equal(await pub.getAttribute('aria-describedby'), 'public-help', 'the explanation is not tied to the checkbox');
  assert.match(await help.innerText(), new RegExp(`^Followers of ${handle().replace(/[.]/g, '\\.')} see it in their timelines`), '#public-help');
  assert.equal(await pub.isEnabled(), true, 'Public is disabled with federation on');
  assert.equal(await pub.isChecked(), false, 'Public is checked by default');
  if (isPublic) await pub.check();
  await page.locator('input[type=file]').setInputFiles(file.path);
  const row = page.locator('li.upload').filter({ hasText: file.name });
  await waitState(row, 'ready');
  const id = assertShareURL(await row.locator('a.share-link').getAttribute('href'), file.name);
  assert.equal(started.length, 1, 'want one POST /api/tracks');
  return { id, sent: started[0] };
}

describe('the fediverse on the pages, in Chromium', () => {
  it('GET /api/config names the account: @tracks@HOST', async () => {
    h.up();
    const { status, body } = await h.getJSON(`${BASE}/api/config`);
    assert.equal(status, 200);
    assert.equal(body.fediverse, handle(), '/api/config fediverse');
  });

  it('a public upload through the page: announced, the handle with Copy, and the Note linked from the raw HTML', { timeout: 150_000 }, async () => {
    await browserReady();
    await h.withPage(async ({ page, context }) => {
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE });
      const { id, sent } = await uploadThroughPage(page, media.tagged, { isPublic: true });
      assert.equal(sent.public, true, 'the page sent public: false with Public ticked');
      await h.shot(page, 'federation-upload-public', { fullPage: true });

      const { body: api } = await h.getJSON(`${BASE}/api/tracks/${id}`);
      assert.equal(api.public, true, 'GET /api/tracks/{id} public');
      assert.equal(api.announced, true, 'GET /api/tracks/{id} announced');

      const main = await openPlayer(page, `${BASE}/t/${id}`);
      const fed = main.locator('.fediverse');
      await fed.waitFor({ timeout: 10_000 });
      assert.equal(await fed.getAttribute('data-fediverse'), 'announced');
      assert.match(await fed.innerText(), /Announced to the fediverse/, '.fediverse');
      assert.equal((await fed.locator('code.fediverse-handle').innerText()).trim(), handle(), 'the handle shown');
      await h.shot(page, 'federation-track-announced', { fullPage: true });

      // Copy, as the page's other Copy buttons: "Copied" on the button, the handle on the clipboard.
      // Located by class: its name changes to "Copied" and back.
      const copy = fed.locator('button.copy');
      assert.equal(await copy.count(), 1, 'want one Copy button in .fediverse');
      assert.equal(await fed.getByRole('button', { name: 'Copy handle' }).count(), 1, 'no button named "Copy handle"');
      await copy.click();
      await h.waitFor(async () => (await copy.innerText()).trim() === 'Copied', { timeout: 5000, what: 'the Copy button to say Copied' });
      const clip = await h.waitFor(async () => {
        const c = await page.evaluate(() => navigator.clipboard.readText());
        return c === handle() && c;
      }, { timeout: 5000, what: 'the handle on the clipboard' });
      assert.equal(clip, handle());
      // The button reads "Copy handle" again, named as before.
      await h.waitFor(async () => (await copy.innerText()).trim() === 'Copy handle', { timeout: 5000, what: 'the Copy button to reset' });

      // The raw HTML, before any script, links the track's Note, and the link answers with it.
      const links = await activityLinks(id);
      assert.equal(links.length, 1, `want one rel="alternate" ${ACTIVITY_JSON} link in /t/${id}, got ${JSON.stringify(links)}`);
      assert.equal(links[0].href, `${BASE}/ap/tracks/${id}`, 'the activity+json link');
      const note = await fetch(links[0].href, { headers: { Accept: ACTIVITY_JSON } });
      assert.equal(note.status, 200, `GET ${links[0].href}`);
      const doc = await note.json();
      assert.equal(doc.type, 'Note');
      assert.equal(doc.id, links[0].href, 'the Note is not at the linked URL');
    });
  });

  it('a public track opened before its bytes arrive says it will be announced, then that it was', { timeout: 120_000 }, async () => {
    await browserReady();
    await h.withPage(async ({ page }) => {
      const started = await h.apiStart(BASE, media.untagged, { public: true });
      await page.goto(`${BASE}/t/${started.id}`);
      const main = page.locator('main.track');
      const fed = main.locator('.fediverse');
      await h.waitFor(async () => (await fed.getAttribute('data-fediverse', { timeout: 1000 }).catch(() => null)) === 'pending',
        { timeout: 10_000, what: 'the pending fediverse notice' });
      assert.match(await fed.innerText(), /will be announced to the fediverse once it is ready/, '.fediverse while processing');
      assert.equal((await fed.locator('code.fediverse-handle').innerText()).trim(), handle());
      assert.equal(await fed.getByRole('button', { name: 'Copy handle' }).count(), 1, 'no Copy handle while processing');
      assert.equal(await main.locator('button.play').count(), 0, 'a player before the track is ready');
      await h.shot(page, 'federation-track-pending', { fullPage: true });
      // No Note yet: the raw HTML links one only once the track is ready.
      assert.deepEqual(await activityLinks(started.id), [], 'an activity+json link before the track is ready');

      await started.put();
      await waitState(main, 'ready', { timeout: READY_TIMEOUT });
      await h.waitFor(async () => (await fed.getAttribute('data-fediverse', { timeout: 1000 }).catch(() => null)) === 'announced',
        { timeout: 10_000, what: 'the notice to say announced once ready' });
      assert.match(await fed.innerText(), /Announced to the fediverse/);
      assert.equal((await activityLinks(started.id)).length, 1, 'no activity+json link once ready');
    });
  });

  it('a private upload through the page shows nothing of the fediverse, and its HTML links no Note', { timeout: 120_000 }, async () => {
    await browserReady();
    await h.withPage(async ({ page }) => {
      // (streamOnly is only a file here: "Stream only" stays unticked.)
      const { id, sent } = await uploadThroughPage(page, media.streamOnly, { isPublic: false });
      assert.notEqual(sent.public, true, 'the page sent public: true with Public unticked');
      const { body: api } = await h.getJSON(`${BASE}/api/tracks/${id}`);
      assert.equal(api.public, false, 'GET /api/tracks/{id} public');
      assert.notEqual(api.announced, true, 'a private track announced');

      // A private track's page does not even ask for the account.
      const configAsked = [];
      page.on('request', (req) => { if (new URL(req.url()).pathname === '/api/config') configAsked.push(req.url()); });
      const main = await openPlayer(page, `${BASE}/t/${id}`);
      await h.sleep(500); // room for a request that should not come
      assert.equal(await main.locator('.fediverse').count(), 0, 'a fediverse notice on a private track');
      assert.doesNotMatch(await main.innerText(), /fediverse|@tracks@/i, 'the private track page mentions the fediverse');
      assert.equal(await page.getByRole('button', { name: 'Copy handle' }).count(), 0, 'Copy handle on a private track');
      assert.deepEqual(configAsked, [], 'the private track page asked for /api/config');
      assert.deepEqual(await activityLinks(id), [], 'an activity+json link on a private track');
    });
  });

  it('when /api/config fails, a public track page shows no fediverse notice and still plays', { timeout: 120_000 }, async () => {
    await browserReady();
    const started = await h.apiUpload(BASE, media.xss, { public: true });
    await h.waitReady(BASE, started.id);
    const tolerate = [{
      test: ({ text, url }) => /status of 500/.test(text) && /\/api\/config/.test(url),
      why: 'the test answers 500 for /api/config',
    }];
    await h.withPage({ tolerate }, async ({ page }) => {
      let asked = 0;
      await page.route((url) => url.pathname === '/api/config', async (route) => {
        asked++;
        await route.fulfill({ status: 500, contentType: 'application/json', body: '{"error":{"code":"internal","message":"broken"}}' });
      });
      const main = await openPlayer(page, `${BASE}/t/${started.id}`);
      await h.waitFor(() => asked > 0, { timeout: 10_000, what: 'the page to ask for /api/config' });
      await h.sleep(300);
      assert.equal(await main.locator('.fediverse').count(), 0, 'a fediverse notice without a config');
      await main.locator('button.play').click();
      await h.waitPlaying(page);
    });
  });

  it('federation off (a config without the account): Public is disabled and says why', { timeout: 60_000 }, async () => {
    await browserReady();
    const { body: real } = await h.getJSON(`${BASE}/api/config`);
    const { fediverse: _, ...off } = real;
    await h.withPage(async ({ page }) => {
      await page.route((url) => url.pathname === '/api/config', (route) =>
        route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(off) }));
      await page.goto(`${BASE}/`);
      const pub = page.getByRole('checkbox', { name: 'Public' });
      await h.waitFor(async () => !(await pub.isEnabled()), { timeout: 10_000, what: 'Public to be disabled' });
      assert.equal(await pub.isChecked(), false);
      assert.equal(await pub.getAttribute('aria-describedby'), 'public-help');
      assert.match(await page.locator('#public-help').innerText(), /does not announce tracks to the fediverse/);
      assert.doesNotMatch(await page.locator('main').innerText(), /@tracks@/, 'a handle shown with federation off');
      await h.shot(page, 'federation-upload-off', { fullPage: true });
    });
  });
});
