/**
 * Paces requests to a rate-limited API at an even rate (a token bucket holding one token): `acquire`
 * resolves when the next request may go, so a run never sends more than `ratePerSecond` requests in any
 * second. Each caller is given its own slot in call order, so concurrent callers share the rate.
 */
import { realSleep, type Sleep } from './retry';

export interface PacerOptions {
  /** Requests per second. */
  readonly ratePerSecond: number;
  /** @default setTimeout */
  readonly sleep?: Sleep;
  /** Milliseconds of a monotonic clock. @default performance.now */
  readonly now?: () => number;
}

export class TokenBucket {
  readonly intervalMs: number;
  private readonly sleep: Sleep;
  private readonly now: () => number;
  private nextSlot = -Infinity;

  constructor(options: PacerOptions) {
    if (!Number.isFinite(options.ratePerSecond) || options.ratePerSecond <= 0) {
      throw new Error(`requests per second must be a positive number; got ${options.ratePerSecond}`);
    }
    this.intervalMs = 1000 / options.ratePerSecond;
    this.sleep = options.sleep ?? realSleep;
    this.now = options.now ?? (() => performance.now());
  }

  /** Waits until this caller's slot: at least `1000 / ratePerSecond` ms after the previous one's. */
  async acquire(): Promise<void> {
    const now = this.now();
    const slot = Math.max(now, this.nextSlot);
    this.nextSlot = slot + this.intervalMs;
    if (slot > now) await this.sleep(Math.ceil(slot - now));
  }
}
