import { describe, expect, it } from 'vitest';
import { playerShortcut, typing, type KeyLike } from './shortcuts';

/** A fake element: a tag, an input type, a role. */
const el = (tagName: string, attrs: { type?: string; role?: string; isContentEditable?: boolean } = {}) =>
  ({
    tagName,
    type: attrs.type,
    isContentEditable: attrs.isContentEditable ?? false,
    getAttribute: (n: string) => (n === 'role' ? (attrs.role ?? null) : null),
  }) as unknown as EventTarget;

const key = (k: string, over: Partial<KeyLike> = {}): KeyLike => ({ key: k, altKey: false, ctrlKey: false, metaKey: false, target: el('BODY'), ...over });

describe('playerShortcut', () => {
  it('Space toggles, arrows seek 5 s, M mutes (either case)', () => {
    expect(playerShortcut(key(' '))).toEqual({ type: 'toggle' });
    expect(playerShortcut(key('ArrowLeft'))).toEqual({ type: 'seekBy', seconds: -5 });
    expect(playerShortcut(key('ArrowRight'))).toEqual({ type: 'seekBy', seconds: 5 });
    expect(playerShortcut(key('m'))).toEqual({ type: 'mute' });
    expect(playerShortcut(key('M'))).toEqual({ type: 'mute' });
  });

  it('other keys, and keys with Ctrl, Alt or Meta, are left alone', () => {
    for (const k of ['a', 'Enter', 'ArrowUp', 'ArrowDown', 'n', 'Tab', 'Escape']) expect(playerShortcut(key(k)), k).toBeNull();
    expect(playerShortcut(key('m', { ctrlKey: true }))).toBeNull();
    expect(playerShortcut(key('ArrowLeft', { altKey: true }))).toBeNull();
    expect(playerShortcut(key(' ', { metaKey: true }))).toBeNull();
  });

  it('never while typing in a field', () => {
    for (const target of [el('INPUT'), el('INPUT', { type: 'text' }), el('INPUT', { type: 'search' }), el('TEXTAREA'), el('SELECT'), el('DIV', { isContentEditable: true })]) {
      for (const k of [' ', 'ArrowLeft', 'ArrowRight', 'm']) expect(playerShortcut(key(k, { target })), `${k} in a field`).toBeNull();
    }
  });

  it('Space on a control that Space presses is the control’s; M and arrows still work there', () => {
    for (const target of [el('BUTTON'), el('A'), el('SUMMARY'), el('INPUT', { type: 'range' }), el('DIV', { role: 'slider' }), el('SPAN', { role: 'button' })]) {
      expect(playerShortcut(key(' ', { target }))).toBeNull();
      expect(playerShortcut(key('m', { target }))).toEqual({ type: 'mute' });
    }
    expect(playerShortcut(key('ArrowRight', { target: el('BUTTON') }))).toEqual({ type: 'seekBy', seconds: 5 });
  });

  it('arrows on a slider move that slider (the volume, the seek slider), not the player', () => {
    expect(playerShortcut(key('ArrowLeft', { target: el('INPUT', { type: 'range' }) }))).toBeNull();
    expect(playerShortcut(key('ArrowRight', { target: el('DIV', { role: 'slider' }) }))).toBeNull();
  });

  it('a key a control handled already (defaultPrevented) is not handled twice', () => {
    expect(playerShortcut(key('ArrowRight', { defaultPrevented: true }))).toBeNull();
    expect(playerShortcut(key(' ', { defaultPrevented: true }))).toBeNull();
  });

  it('no target (a synthetic event) is the page', () => {
    expect(playerShortcut(key(' ', { target: null }))).toEqual({ type: 'toggle' });
  });
});

describe('typing', () => {
  it('text fields and editable elements type; buttons, sliders and checkboxes do not', () => {
    expect(typing(el('INPUT'))).toBe(true);
    expect(typing(el('INPUT', { type: 'email' }))).toBe(true);
    expect(typing(el('TEXTAREA'))).toBe(true);
    expect(typing(el('SELECT'))).toBe(true);
    expect(typing(el('P', { isContentEditable: true }))).toBe(true);
    expect(typing(el('INPUT', { type: 'range' }))).toBe(false);
    expect(typing(el('INPUT', { type: 'checkbox' }))).toBe(false);
    expect(typing(el('BUTTON'))).toBe(false);
    expect(typing(null)).toBe(false);
  });
});
