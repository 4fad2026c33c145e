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

export const VolumeIcon = () => (
  <svg {...svg}>
    <path d="M4 9.5v5a1 1 0 0 0 1 1h3l4.4 3.7a1 1 0 0 0 1.6-.8V5.6a1 1 0 0 0-1.6-.8L8 8.5H5a1 1 0 0 0-1 1z" fill="currentColor" />
    <path d="M16.5 8.5a5 5 0 0 1 0 7M18.8 6a8.5 8.5 0 0 1 0 12" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" />
  </svg>
);

export const MutedIcon = () => (
  <svg {...svg}>
    <path d="M4 9.5v5a1 1 0 0 0 1 1h3l4.4 3.7a1 1 0 0 0 1.6-.8V5.6a1 1 0 0 0-1.6-.8L8 8.5H5a1 1 0 0 0-1 1z" fill="currentColor" />
    <path d="M16.5 9.5l5 5M21.5 9.5l-5 5" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" />
  </svg>
);

export const LinkIcon = () => (
  <svg {...svg}>
    <path
      d="M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1"
      fill="none"
      stroke="currentColor"
      stroke-width="2"
      stroke-linecap="round"
    />
  </svg>
);
