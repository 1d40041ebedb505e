/**
 * Seeded randomness for the simulator. Every generated value is a pure function of a seed and the
 * coordinates of what it describes (a song index, a user index, a day and a session index), so any slice
 * of the data can be regenerated on its own, in any order, without state: that is what lets the API serve
 * any date window with the same records and `_truth` recompute exactly what was served.
 */

import { fmix32 } from '../../../lambdas/shared/fmix32';

export { fmix32 };

/** Hashes integer coordinates (each < 2^53) into one uint32, order-sensitive. */
export function mix(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    const low = part >>> 0;
    const high = Math.floor(part / 4294967296) >>> 0;
    h = fmix32((h + fmix32(low) + 0x7f4a7c15) >>> 0);
    if (high !== 0) h = fmix32((h ^ fmix32(high + 0x165667b1)) >>> 0);
  }
  return h;
}

/** A stable uint32 tag for a string (FNV-1a), used to separate the streams of different purposes. */
export function tag(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A uniform number in [0, 1) from one hash. */
export function unit(hash: number): number {
  return (hash >>> 0) / 4294967296;
}

/** mulberry32: a small, fast sequential generator for the several values one entity needs. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  uint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** Picks by weight; `cumulative` is the running sum of the weights (see cumulativeWeights). */
  pickWeighted<T>(items: readonly T[], cumulative: readonly number[]): T {
    const target = this.next() * cumulative[cumulative.length - 1];
    let low = 0;
    let high = cumulative.length - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (cumulative[middle] > target) high = middle;
      else low = middle + 1;
    }
    return items[low];
  }

  /** An RFC 9562 version 4 UUID (version nibble 4, variant 10xx). */
  uuid(): string {
    const hex = (value: number) => value.toString(16).padStart(8, '0');
    const a = hex(this.uint32());
    const b = hex(this.uint32());
    const c = hex(this.uint32());
    const d = hex(this.uint32());
    const variant = ((parseInt(c[0], 16) & 0x3) | 0x8).toString(16);
    return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${variant}${c.slice(1, 4)}-${c.slice(4, 8)}${d}`;
  }

  /**
   * A version 4 UUID that no other `key` (an integer in [0, 2^48)) gets: the last 48 bits are the key, the rest
   * are drawn as `uuid` draws them. For ids that must never repeat (users, sessions, plays): each generator
   * starts from a 32-bit seed, so fully random ids collide after about 2^16 of them (the birthday bound), as
   * plays of different days did in a three-day demo at `small`.
   */
  keyedUuid(key: number): string {
    if (!Number.isSafeInteger(key) || key < 0 || key >= 2 ** 48) {
      throw new RangeError(`uuid key ${key} is not an integer in [0, 2^48)`);
    }
    return this.uuid().slice(0, 24) + key.toString(16).padStart(12, '0');
  }

  /** `length` characters of [A-Z0-9]. */
  alphanumeric(length: number): string {
    let out = '';
    while (out.length < length) out += this.uint32().toString(36).toUpperCase().padStart(6, '0').slice(0, 6);
    return out.slice(0, length);
  }
}

export function cumulativeWeights(weights: readonly number[]): number[] {
  let total = 0;
  return weights.map((weight) => (total += weight));
}

/**
 * A Zipf-like rank in [0, size): P(rank < k) = ln(1 + k) / ln(1 + size), the continuous form of Zipf's law
 * with exponent 1. Rank 0 is the most popular. Needs no table, so it works for a million-song catalog.
 */
export function zipfRank(uniform: number, size: number): number {
  const rank = Math.floor(Math.expm1(uniform * Math.log1p(size)));
  return Math.min(size - 1, Math.max(0, rank));
}

/**
 * An identifier `prefix` + 16 characters of [A-Z0-9] that is unique per `index` < 2^32 for one key: 9
 * seeded characters followed by the base-36 form of a keyed bijection of the index. Two different indexes
 * can never share the last 7 characters, so ids never collide and an index >= the catalog size gives a
 * well-formed id that is certainly not in the catalog.
 */
export function uniqueId(prefix: string, key: number, index: number): string {
  const scrambled = fmix32((fmix32((index ^ key) >>> 0) ^ 0x5bd1e995) >>> 0);
  const suffix = scrambled.toString(36).toUpperCase().padStart(7, '0');
  return prefix + new Rng(mix(key, index)).alphanumeric(9) + suffix;
}

/** One key in [0, 2^48) per (day, index in the day), for `Rng.keyedUuid`: the day (days since the epoch) above 32 bits. */
export function dayIndexKey(day: number, index: number): number {
  if (!Number.isInteger(day) || day < 0 || day > 0xffff)
    throw new RangeError(`day ${day} is outside 0..65535`);
  if (!Number.isInteger(index) || index < 0 || index > 0xffffffff) {
    throw new RangeError(`index ${index} in day ${day} is outside 0..2^32-1`);
  }
  return day * 2 ** 32 + index;
}
