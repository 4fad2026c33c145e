// End to end, without a browser: the server-rendered track and embed pages (meta tags, escaping,
// framing, noindex), oEmbed and robots.txt, against the runner (the whole service on one machine).
// Run from the repository root, alone or with the other files (see harness.mjs):
//
//   node --test e2e/pages.test.mjs
//
// The runner's log goes to test-artifacts/e2e/runner-pages.log.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import * as h from './harness.mjs';
import { BASE, up } from './harness.mjs';

const { XSS_TITLE } = h;

h.setUp('pages');

describe('server-rendered pages and oEmbed, without a browser', () => {
  let id;
  let html;

  // The markup title, with a cover, uploaded through the API (these tests need no SPA); once,
  // by the first test that runs, its failure reported by each.
  async function track() {
    id = (await h.readyTrack('xss')).id;
  }

  it('/t/{id} carries og:*, twitter:player and the oEmbed link, values HTML-escaped', { timeout: 90_000 }, async () => {
    await track();
    const res = await fetch(`${BASE}/t/${id}`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/html/);
    html = await res.text();

    // (a) the raw HTML has the escaped title and never the live markup
    assert.ok(!html.includes('<script>alert(1)'), 'the raw HTML contains the title unescaped: <script>alert(1)');
    assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'the raw HTML lacks the escaped title &lt;script&gt;alert(1)&lt;/script&gt;');
    assert.ok(!/content="[^"]*"Q"/.test(html), 'a double quote of the title ends an attribute early');

    const meta = h.metaMap(html);
    assert.equal(meta['og:title'], XSS_TITLE, 'og:title');
    assert.ok(meta['og:description'], 'og:description missing or empty');
    assert.ok(meta['og:description'].includes('Escaper & Co'), `og:description ${meta['og:description']} lacks the artist`);
    assert.equal(meta['og:type'], 'music.song', 'og:type');
    assert.equal(meta['twitter:card'], 'player', 'twitter:card');
    assert.equal(meta['twitter:player'], `${BASE}/embed/${id}`, 'twitter:player');
    for (const k of ['twitter:player:width', 'twitter:player:height']) {
      assert.match(meta[k] ?? '', /^[1-9][0-9]*$/, `${k} is not a positive integer`);
    }
    assert.ok(meta['og:image'], 'og:image missing (the track has a cover)');
    const img = await fetch(new URL(meta['og:image']));
    assert.equal(img.status, 200, `og:image ${meta['og:image']} answers ${img.status}`);
    assert.match(img.headers.get('content-type') ?? '', /^image\//, 'og:image is not an image');
    assert.ok((await img.arrayBuffer()).byteLength > 100, 'og:image is empty');

    const alt = h.tags(html, 'link').filter((l) => l.rel === 'alternate' && l.type === 'application/json+oembed');
    assert.equal(alt.length, 1, 'want one <link rel="alternate" type="application/json+oembed">');
    const o = new URL(alt[0].href);
    assert.equal(`${o.origin}${o.pathname}`, `${BASE}/oembed`, 'oEmbed link path');
    assert.equal(o.searchParams.get('url'), `${BASE}/t/${id}`, 'oEmbed link url parameter');
    assert.equal(o.searchParams.get('format'), 'json', 'oEmbed link format parameter');

    const title = /<title>([^<]*)<\/title>/.exec(html);
    assert.ok(title && h.decodeEntities(title[1]).includes(XSS_TITLE), `<title> does not carry the title: ${title?.[1]}`);
    // The page the SPA mounts on.
    const app = h.tags(html, 'div').find((d) => d.id === 'app');
    assert.ok(app, 'no <div id="app"> for the app to mount on');
    assert.equal(app['data-id'], id, '<div id="app" data-id> is not the track ID');
  });

  it('/embed/{id} escapes the title too', { timeout: 90_000 }, async () => {
    await track();
    const res = await fetch(`${BASE}/embed/${id}`);
    assert.equal(res.status, 200);
    const body = await res.text();
    assert.ok(!body.includes('<script>alert(1)'), 'the embed HTML contains the title unescaped');
    assert.ok(body.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'the embed HTML lacks the escaped title');
  });

  it('GET /oembed answers oEmbed 1.0, type video, an iframe of /embed/{id}', { timeout: 90_000 }, async () => {
    await track();
    const { status, headers, body } = await h.getJSON(`${BASE}/oembed?url=${encodeURIComponent(`${BASE}/t/${id}`)}&format=json`);
    assert.equal(status, 200, JSON.stringify(body));
    assert.match(headers.get('content-type'), /^application\/json/);
    assert.equal(body.version, '1.0', 'version must be the string "1.0"');
    assert.equal(body.type, 'video');
    assert.equal(body.title, XSS_TITLE);
    assert.equal(body.author_name, 'Escaper & Co');
    assert.equal(body.provider_name, 'Soundtime');
    for (const k of ['width', 'height']) assert.ok(Number.isInteger(body[k]) && body[k] > 0, `${k} ${body[k]} is not a positive integer`);
    assert.equal(typeof body.html, 'string');
    assert.ok(!/<script/i.test(body.html), `html carries a script: ${body.html}`);
    assert.match(body.html, /^<iframe\s[^<>]*><\/iframe>$/, `html is not only an <iframe>: ${body.html}`);
    const [iframe] = h.tags(body.html, 'iframe');
    assert.equal(iframe.src, `${BASE}/embed/${id}`, 'the iframe is not BASE/embed/ID');
    assert.equal(Number(iframe.width), body.width, 'iframe width differs from width');
    assert.equal(Number(iframe.height), body.height, 'iframe height differs from height');
    if ('title' in iframe) assert.equal(iframe.title, XSS_TITLE, 'iframe title attribute');
    assert.ok(body.thumbnail_url, 'thumbnail_url missing (the track has a cover)');
    const img = await fetch(body.thumbnail_url);
    assert.equal(img.status, 200, `thumbnail_url answers ${img.status}`);
    assert.match(img.headers.get('content-type') ?? '', /^image\//);
    // The same player size as the page announces.
    const meta = h.metaMap(html ?? (await (await fetch(`${BASE}/t/${id}`)).text()));
    assert.equal(Number(meta['twitter:player:width']), body.width, 'twitter:player:width differs from oEmbed width');
    assert.equal(Number(meta['twitter:player:height']), body.height, 'twitter:player:height differs from oEmbed height');
  });

  it('oEmbed refuses what is not ours and formats other than JSON', { timeout: 90_000 }, async () => {
    await track();
    let r = await h.getJSON(`${BASE}/oembed?url=${encodeURIComponent(`${BASE}/t/Zz9Zz9Zz`)}&format=json`);
    assert.equal(r.status, 404, 'unknown track');
    r = await h.getJSON(`${BASE}/oembed?url=${encodeURIComponent(`https://elsewhere.example/t/${id}`)}&format=json`);
    assert.equal(r.status, 404, 'another origin');
    r = await h.getJSON(`${BASE}/oembed?url=${encodeURIComponent(`${BASE}/t/${id}`)}&format=xml`);
    assert.equal(r.status, 501, 'format=xml');
  });

  it('unlisted pages say noindex, only the embed may be framed, robots.txt keeps crawlers out of /api/', { timeout: 90_000 }, async () => {
    await track();
    const page = await fetch(`${BASE}/t/${id}`);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('x-robots-tag'), 'noindex', 'X-Robots-Tag of an unlisted track page');
    assert.equal(h.metaMap(await page.text()).robots, 'noindex', '<meta name="robots"> of an unlisted track page');
    assert.match(page.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/, 'the track page may be framed');
    assert.equal(page.headers.get('x-frame-options'), 'DENY', 'X-Frame-Options of the track page');

    const embed = await fetch(`${BASE}/embed/${id}`);
    assert.equal(embed.status, 200);
    assert.equal(embed.headers.get('x-robots-tag'), 'noindex', 'X-Robots-Tag of the embed');
    assert.equal(h.metaMap(await embed.text()).robots, 'noindex', '<meta name="robots"> of the embed');
    assert.doesNotMatch(embed.headers.get('content-security-policy') ?? '', /frame-ancestors/, 'the embed sends frame-ancestors');
    assert.equal(embed.headers.get('x-frame-options'), null, 'the embed sends X-Frame-Options');

    for (const u of [`${BASE}/oembed?url=${encodeURIComponent(`${BASE}/t/${id}`)}&format=json`, `${BASE}/api/tracks/${id}`, `${BASE}/api/tracks/Zz9Zz9Zz`]) {
      const res = await fetch(u);
      assert.equal(res.headers.get('x-robots-tag'), 'noindex', `X-Robots-Tag of ${u} (${res.status})`);
    }

    const robots = await fetch(`${BASE}/robots.txt`);
    assert.equal(robots.status, 200, 'GET /robots.txt');
    assert.match(robots.headers.get('content-type') ?? '', /^text\/plain/, 'robots.txt Content-Type');
    assert.match(await robots.text(), /^User-agent: \*\r?\nDisallow: \/api\/$/m, 'robots.txt does not disallow /api/ for every agent');
  });

  it('an unknown ID is a 404 HTML page saying "Track not found"', { timeout: 90_000 }, async () => {
    up();
    for (const p of ['/t/Zz9Zz9Zz', '/embed/Zz9Zz9Zz']) {
      const res = await fetch(`${BASE}${p}`);
      assert.equal(res.status, 404, p);
      assert.match(res.headers.get('content-type'), /^text\/html/, p);
      const body = await res.text();
      assert.match(body, /Track not found/, `${p} does not say "Track not found"`);
    }
  });
});
