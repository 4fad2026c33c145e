// The player's keyboard shortcuts, anywhere on the page (the track page, the embed once focused,
// the set page): Space plays or pauses, ← and → seek 5 s, M mutes. Never while typing in a
// field, and never a key that the focused control already takes for itself (Space on a button
// presses it; arrows move the seek or volume slider).

import { STEP } from './seek';

export type Shortcut = { type: 'toggle' } | { type: 'seekBy'; seconds: number } | { type: 'mute' };

export interface KeyLike {
  key: string;
  altKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
  /** The element the key went to. */
  target: EventTarget | null;
  /** A control handled the key already (the seek slider does). */
  defaultPrevented?: boolean;
}

interface ElementLike {
  tagName?: string;
  type?: string;
  isContentEditable?: boolean;
  getAttribute?(name: string): string | null;
}

/** Input types that take no typing: keys there are shortcuts (bar the control's own). */
const NOT_TEXT = /^(range|checkbox|radio|button|submit|reset|color|file|image)$/;

/** Whether keys typed at target are text: a text field, a select, an editable element. */
export function typing(target: EventTarget | null): boolean {
  const el = target as ElementLike | null;
  if (!el) return false;
  const tag = el.tagName ?? '';
  if (tag === 'TEXTAREA' || tag === 'SELECT' || el.isContentEditable) return true;
  return tag === 'INPUT' && !NOT_TEXT.test(el.type ?? 'text');
}

/** Controls that Space activates by themselves. */
function pressable(el: ElementLike): boolean {
  const tag = el.tagName ?? '';
  if (tag === 'BUTTON' || tag === 'A' || tag === 'SUMMARY' || tag === 'INPUT') return true;
  const role = el.getAttribute?.('role') ?? '';
  return role === 'button' || role === 'slider' || role === 'link' || role === 'checkbox';
}

/** Controls that arrows move by themselves. */
function slides(el: ElementLike): boolean {
  const tag = el.tagName ?? '';
  if (tag === 'INPUT' && (el.type === 'range' || el.type === 'radio')) return true;
  return (el.getAttribute?.('role') ?? '') === 'slider';
}

/** The player shortcut a key press means, or null (then the page leaves the key alone). */
export function playerShortcut(e: KeyLike): Shortcut | null {
  if (e.altKey || e.ctrlKey || e.metaKey || e.defaultPrevented) return null;
  if (typing(e.target)) return null;
  const el = (e.target ?? {}) as ElementLike;
  switch (e.key) {
    case ' ':
    case 'Spacebar':
      return pressable(el) ? null : { type: 'toggle' };
    case 'ArrowLeft':
      return slides(el) ? null : { type: 'seekBy', seconds: -STEP };
    case 'ArrowRight':
      return slides(el) ? null : { type: 'seekBy', seconds: STEP };
    case 'm':
    case 'M':
      return { type: 'mute' };
  }
  return null;
}

/** What the page's "Keyboard shortcuts" list says, in order. */
export const SHORTCUTS: ReadonlyArray<readonly [keys: string, does: string]> = [
  ['Space', 'Play or pause'],
  ['← / →', `Back or forward ${STEP} seconds`],
  ['M', 'Mute or unmute'],
];
