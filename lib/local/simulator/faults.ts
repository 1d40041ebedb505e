/**
 * Request faults: the fraction `faultRate` of API requests fails in one of the ways a real HTTP API fails.
 * Decisions come from one seeded stream consumed in request arrival order, so a client that sends its
 * requests one after another sees the same faults on every run with the same seed.
 */
import { Rng, mix, tag } from './random';

export const REQUEST_FAULT_KINDS = [
  'http_500',
  'http_503',
  'http_429',
  /** The connection is destroyed before any response byte. */
  'reset_before_body',
  /** A 200 response starts, part of the JSON array is sent, then the connection is destroyed. */
  'reset_mid_body',
  /** The response is correct but starts only after a delay. */
  'slow',
] as const;
export type RequestFaultKind = (typeof REQUEST_FAULT_KINDS)[number];

export interface RequestFault {
  kind: RequestFaultKind;
  /** For `reset_mid_body`: how many records are sent before the reset. */
  recordsBeforeReset: number;
}

export interface FaultLogEntry {
  request: number;
  path: string;
  fault: RequestFaultKind | null;
}

export class FaultInjector {
  private readonly rng: Rng;
  private requests = 0;
  private readonly counts: Partial<Record<RequestFaultKind, number>> = {};
  private readonly log: FaultLogEntry[] = [];

  constructor(
    seed: number,
    readonly faultRate: number,
  ) {
    this.rng = new Rng(mix(seed, tag('request-faults')));
  }

  /** Decides the fate of the next API request. */
  next(path: string): RequestFault | null {
    this.requests++;
    // Always draw the same numbers per request so the sequence does not depend on earlier outcomes.
    const roll = this.rng.next();
    const kind = REQUEST_FAULT_KINDS[Math.floor(this.rng.next() * REQUEST_FAULT_KINDS.length)];
    const recordsBeforeReset = this.rng.int(1, 20);
    const fault = roll < this.faultRate ? { kind, recordsBeforeReset } : null;
    if (fault) this.counts[fault.kind] = (this.counts[fault.kind] ?? 0) + 1;
    this.log.push({ request: this.requests, path, fault: fault?.kind ?? null });
    if (this.log.length > 10_000) this.log.shift();
    return fault;
  }

  /** What `GET /_faults` returns: totals and the most recent requests (up to 10,000). */
  report(): {
    fault_rate: number;
    requests: number;
    faults: Partial<Record<RequestFaultKind, number>>;
    log: FaultLogEntry[];
  } {
    return {
      fault_rate: this.faultRate,
      requests: this.requests,
      faults: { ...this.counts },
      log: [...this.log],
    };
  }
}
