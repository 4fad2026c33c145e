// Accessibility checks for the browser suite: axe-core (pinned in package.json) run inside a page
// or frame that the test has already brought to the state it wants checked.
//
// The script goes in through the DevTools protocol (Playwright's evaluate), not a <script> tag, so
// the pages' Content-Security-Policy stays as strict as in production while axe runs.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

// WCAG 2.x A and AA plus axe's best practices: what a listener with a screen reader, a keyboard or
// low vision meets on these pages.
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

/** The violations axe finds in a page or frame (a Playwright Page or Frame), as plain objects. */
export async function axeViolations(target) {
  const loaded = await target.evaluate(() => typeof window.axe === 'object');
  if (!loaded) await target.evaluate(AXE_SOURCE);
  return target.evaluate(async (tags) => {
    const res = await window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return res.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary?.replace(/\s+/g, ' ')}`),
    }));
  }, TAGS);
}

/** Fails with every violation named (rule, what it means, where) when axe finds any. */
export async function assertAccessible(target, what) {
  const violations = await axeViolations(target);
  assert.deepEqual(
    violations.map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.join('\n    ')}`),
    [],
    `axe found accessibility violations on ${what}`,
  );
}
