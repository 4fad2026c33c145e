// Sharing a link: the system's share sheet (Web Share API) where the browser has one, which on
// phones reaches messengers and nearby devices; else, or when the sheet cannot open (an iframe
// without the web-share permission, no user gesture), the link goes to the clipboard.

export type ShareResult = 'shared' | 'copied' | 'cancelled' | 'failed';

export interface ShareData {
  url: string;
  title: string;
}

/** The parts of navigator the share uses. */
export interface ShareNavigator {
  share?: (data: ShareData) => Promise<void>;
  canShare?: (data: ShareData) => boolean;
}

/** Whether the browser offers a share sheet for this data. */
export function canShare(nav: ShareNavigator | undefined, data: ShareData): boolean {
  if (!nav || typeof nav.share !== 'function') return false;
  try {
    return typeof nav.canShare === 'function' ? nav.canShare(data) : true;
  } catch {
    return false;
  }
}

const named = (err: unknown, name: string) => typeof err === 'object' && err !== null && (err as { name?: unknown }).name === name;

/**
 * Shares data through the share sheet, falling back to copying the URL. The listener closing
 * the sheet is "cancelled" (nothing is copied behind their back); any other refusal copies.
 */
export async function shareLink(data: ShareData, nav: ShareNavigator | undefined, copy: (text: string) => Promise<boolean>): Promise<ShareResult> {
  if (canShare(nav, data)) {
    try {
      await nav!.share!(data);
      return 'shared';
    } catch (err) {
      if (named(err, 'AbortError')) return 'cancelled';
    }
  }
  return (await copy(data.url)) ? 'copied' : 'failed';
}
