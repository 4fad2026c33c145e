// Keyboard behaviour of the waveform seek slider (WAI-ARIA slider pattern for media).

export type SeekAction = { type: 'seek'; time: number } | { type: 'toggle' } | null;

export const STEP = 5;
export const PAGE_STEP = 30;

export function seekKey(key: string, current: number, duration: number): SeekAction {
  const d = Number.isFinite(duration) && duration > 0 ? duration : 0;
  const c = Number.isFinite(current) ? current : 0;
  const to = (t: number): SeekAction => ({ type: 'seek', time: Math.max(0, Math.min(d, t)) });
  switch (key) {
    case 'ArrowRight':
    case 'ArrowUp':
      return to(c + STEP);
    case 'ArrowLeft':
    case 'ArrowDown':
      return to(c - STEP);
    case 'PageUp':
      return to(c + PAGE_STEP);
    case 'PageDown':
      return to(c - PAGE_STEP);
    case 'Home':
      return to(0);
    case 'End':
      return to(d);
    case ' ':
    case 'Spacebar':
    case 'Enter':
      return { type: 'toggle' };
    default:
      return null;
  }
}
