// When the stats page asks again: at once, then a minute after each answer (or failure) while
// the page is visible, and at once when it becomes visible again. Never two requests at a
// time: a tick or a return to the page while one is under way changes nothing, and the next
// one is planned only when it ends, so a slow server never sees requests pile up. A hidden page
// asks nothing; it catches up when it is shown.

export const REFRESH_MS = 60_000;

/** The browser around the refresher; tests pass fakes. */
export interface RefreshHost {
  /** Runs one refresh; its failure is the caller's to show (load catches its own errors). */
  load: () => Promise<void>;
  visible: () => boolean;
  setTimer: (fn: () => void, ms: number) => unknown;
  clearTimer: (handle: unknown) => void;
}

export class Refresher {
  private timer: unknown = null;
  private inFlight = false;
  private stopped = false;

  constructor(
    private readonly host: RefreshHost,
    private readonly every = REFRESH_MS,
  ) {}

  /** The first load. */
  start(): void {
    void this.run();
  }

  /** Call on visibilitychange: a page shown again refreshes now; a hidden one stops asking. */
  visibilityChanged(): void {
    if (this.stopped) return;
    if (!this.host.visible()) {
      this.cancelTimer();
      return;
    }
    if (!this.inFlight) void this.run();
  }

  stop(): void {
    this.stopped = true;
    this.cancelTimer();
  }

  /** Whether a request is under way (for tests and the page's busy state). */
  get busy(): boolean {
    return this.inFlight;
  }

  private cancelTimer(): void {
    if (this.timer !== null) this.host.clearTimer(this.timer);
    this.timer = null;
  }

  private async run(): Promise<void> {
    if (this.inFlight || this.stopped) return;
    this.cancelTimer();
    if (!this.host.visible()) return; // visibilityChanged starts again
    this.inFlight = true;
    try {
      await this.host.load();
    } catch {
      // load reports its own failures; a throw must not stop the refreshing.
    } finally {
      this.inFlight = false;
    }
    if (this.stopped || !this.host.visible()) return;
    this.timer = this.host.setTimer(() => {
      this.timer = null;
      void this.run();
    }, this.every);
  }
}
