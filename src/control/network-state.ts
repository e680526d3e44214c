/**
 * Whether the DHCP service answers clients (Kea's NetworkState, global scope): dhcp-disable
 * turns it off for an origin ("user" for an operator, an HA partner's numeric origin), the
 * service answers again once every origin that disabled it has enabled it, or when its
 * max-period runs out.
 */
export class NetworkState {
  private readonly apply: (enabled: boolean) => void;
  private readonly disabledBy = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(apply: (enabled: boolean) => void) {
    this.apply = apply;
  }

  get enabled(): boolean {
    return this.disabledBy.size === 0;
  }

  /** Disables the service for `origin`; with `maxPeriod` (s), enables it again after that. */
  disable(origin: string, maxPeriod?: number): void {
    this.clearTimer(origin);
    this.disabledBy.add(origin);
    if (maxPeriod !== undefined) {
      const t = setTimeout(() => this.enable(origin), maxPeriod * 1000);
      t.unref();
      this.timers.set(origin, t);
    }
    this.apply(false);
  }

  enable(origin: string): void {
    this.clearTimer(origin);
    this.disabledBy.delete(origin);
    if (this.enabled) this.apply(true);
  }

  /** status-get's `dhcp-state`, in Kea 3's shape (HA partners' origins as remote commands). */
  toJSON(): Record<string, boolean | string[]> {
    const remote = [...this.disabledBy].filter((o) => o !== "user");
    return {
      "disabled-by-db-connection": false,
      "disabled-by-local-command": [],
      "disabled-by-remote-command": remote,
      "disabled-by-user": this.disabledBy.has("user"),
      "globally-disabled": !this.enabled,
    };
  }

  close(): void {
    for (const origin of [...this.timers.keys()]) this.clearTimer(origin);
  }

  private clearTimer(origin: string): void {
    const t = this.timers.get(origin);
    if (t !== undefined) clearTimeout(t);
    this.timers.delete(origin);
  }
}
