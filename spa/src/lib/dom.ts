// Small browser helpers shared by the pages: announcements for screen readers, copying to the
// clipboard, theming.

import type { Theme } from './api';
import { linkColour } from './contrast';

let region: HTMLElement | null = null;

/** Says something in a polite live region (created once, visually hidden). */
export function announce(message: string): void {
  if (!region) {
    region = document.createElement('div');
    region.className = 'sr-only';
    region.setAttribute('role', 'status');
    region.setAttribute('aria-live', 'polite');
    document.body.appendChild(region);
  }
  const r = region;
  r.textContent = '';
  // A fresh text node after a tick, so repeating the same message is announced again.
  setTimeout(() => {
    r.textContent = message;
  }, 50);
}

/**
 * Whether the document's permissions policy allows a feature ("clipboard-write", "web-share").
 * A frame that its host did not grant it (an embed without allow="clipboard-write") is refused,
 * and Chromium logs an error on every call: such calls are better not made. True where the
 * browser cannot tell.
 */
export function policyAllows(feature: string): boolean {
  type Policy = { allowsFeature(f: string): boolean; features?(): string[] };
  const d = document as Document & { permissionsPolicy?: Policy; featurePolicy?: Policy };
  const policy = d.permissionsPolicy ?? d.featurePolicy;
  try {
    if (!policy) return true;
    // A feature the browser's policy does not know (Web Share on desktop Linux) is refused by
    // allowsFeature, but that says nothing about the API: let the API answer for itself.
    if (typeof policy.features === 'function' && !policy.features().includes(feature)) return true;
    return policy.allowsFeature(feature);
  } catch {
    return true;
  }
}

/** Copies text; falls back to a hidden textarea where the Clipboard API is missing or refused. */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext && policyAllows('clipboard-write')) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // fall through to the old way
  }
  const ta = document.createElement('textarea');
  ta.value = text;
  ta.setAttribute('readonly', '');
  ta.style.position = 'fixed';
  ta.style.opacity = '0';
  ta.style.top = '0';
  document.body.appendChild(ta);
  const active = document.activeElement as HTMLElement | null;
  ta.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  ta.remove();
  active?.focus();
  return ok;
}

const HEX = /^#[0-9a-fA-F]{6}$/;

/** Applies a server-computed theme; ignores anything that is not #rrggbb. */
export function applyTheme(theme: Theme | undefined): void {
  if (!theme) return;
  const root = document.documentElement.style;
  if (HEX.test(theme.background)) root.setProperty('--bg', theme.background);
  if (HEX.test(theme.foreground)) root.setProperty('--fg', theme.foreground);
  if (HEX.test(theme.accent)) root.setProperty('--accent', theme.accent);
  // Link text needs 4.5:1; the accent is only guaranteed less (see contrast.ts).
  if (HEX.test(theme.background) && HEX.test(theme.foreground) && HEX.test(theme.accent)) {
    root.setProperty('--link', linkColour(theme.accent, theme.background, theme.foreground));
  }
  document.documentElement.classList.add('themed');
}

/** The current value of a CSS custom property on the root, e.g. "#d9480f". */
export function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

/** "#rrggbb" at an opacity, as rgba() a canvas understands; other colours are returned as given. */
export function withAlpha(color: string, alpha: number): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  if (!m) return color;
  return `rgba(${parseInt(m[1], 16)}, ${parseInt(m[2], 16)}, ${parseInt(m[3], 16)}, ${alpha})`;
}

export function prefersReducedMotion(): boolean {
  return typeof matchMedia === 'function' && matchMedia('(prefers-reduced-motion: reduce)').matches;
}
