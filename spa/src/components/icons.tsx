// Inline SVG icons; decorative, so hidden from assistive technology (controls carry labels).

const svg = { 'aria-hidden': 'true' as const, focusable: 'false' as const, viewBox: '0 0 24 24', width: 24, height: 24 };

export const PlayIcon = () => (
  <svg {...svg}>
    <path d="M8 5.5v13a1 1 0 0 0 1.5.86l10.4-6.5a1 1 0 0 0 0-1.72L9.5 4.64A1 1 0 0 0 8 5.5z" fill="currentColor" />
  </svg>
);

export const PauseIcon = () => (
  <svg {...svg}>
    <rect x="6" y="5" width="4.5" height="14" rx="1" fill="currentColor" />
    <rect x="13.5" y="5" width="4.5" height="14" rx="1" fill="currentColor" />
  </svg>
);

export const NoteIcon = () => (
  <svg {...svg} viewBox="0 0 64 64" width={64} height={64}>
    <path
      d="M44 10v30.5a8.5 8.5 0 1 1-4-7.2V18.6l-16 4V46.5a8.5 8.5 0 1 1-4-7.2V16.2z"
      fill="currentColor"
    />
  </svg>
);
