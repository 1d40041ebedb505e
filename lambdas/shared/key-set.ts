/**
 * A set of record keys in 16 bytes per key, for duplicate detection during an extract. A JavaScript
 * `Set<string>` of UUIDs costs about 100 bytes per entry; this open-addressing table over typed arrays
 * keeps a million keys in about 40 MB less, which is what keeps the extractors' memory near-flat as the
 * volume grows.
 *
 * UUIDs are stored exactly (their 128 bits). Any other key is stored as its MD5 digest: two distinct keys
 * collide with probability ~ n^2 / 2^129, i.e. never in practice at the volumes of one extract.
 */
import { fmix32 } from './fmix32';
import { createHash } from 'node:crypto';

const WORDS = 4;
const MAX_LOAD = 0.6;

export class CompactKeySet {
  private words: Uint32Array;
  private used: Uint8Array;
  private capacity: number;
  private count = 0;
  private readonly scratch = new Uint32Array(WORDS);

  constructor(initialCapacity = 1024) {
    this.capacity = 1 << Math.ceil(Math.log2(Math.max(16, initialCapacity)));
    this.words = new Uint32Array(this.capacity * WORDS);
    this.used = new Uint8Array(this.capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Adds `key`; returns false when it was already there. */
  add(key: string): boolean {
    encode(key, this.scratch);
    if ((this.count + 1) / this.capacity > MAX_LOAD) this.grow();
    return this.insert(this.scratch);
  }

  has(key: string): boolean {
    encode(key, this.scratch);
    return this.find(this.scratch) >= 0;
  }

  private insert(key: Uint32Array): boolean {
    const mask = this.capacity - 1;
    for (let slot = hash(key) & mask; ; slot = (slot + 1) & mask) {
      if (!this.used[slot]) {
        this.used[slot] = 1;
        this.words.set(key, slot * WORDS);
        this.count++;
        return true;
      }
      if (this.equals(slot, key)) return false;
    }
  }

  private find(key: Uint32Array): number {
    const mask = this.capacity - 1;
    for (let slot = hash(key) & mask; this.used[slot]; slot = (slot + 1) & mask) {
      if (this.equals(slot, key)) return slot;
    }
    return -1;
  }

  private equals(slot: number, key: Uint32Array): boolean {
    const base = slot * WORDS;
    const words = this.words;
    return (
      words[base] === key[0] &&
      words[base + 1] === key[1] &&
      words[base + 2] === key[2] &&
      words[base + 3] === key[3]
    );
  }

  private grow(): void {
    const oldWords = this.words;
    const oldUsed = this.used;
    const oldCapacity = this.capacity;
    this.capacity *= 2;
    this.words = new Uint32Array(this.capacity * WORDS);
    this.used = new Uint8Array(this.capacity);
    this.count = 0;
    for (let slot = 0; slot < oldCapacity; slot++) {
      if (oldUsed[slot]) this.insert(oldWords.subarray(slot * WORDS, slot * WORDS + WORDS));
    }
  }
}

function encode(key: string, out: Uint32Array): void {
  if (key.length === 36 && uuidWords(key, out)) return;
  const digest = createHash('md5').update(key).digest();
  for (let i = 0; i < WORDS; i++) out[i] = digest.readUInt32BE(i * 4);
}

/**
 * A UUID's 128 bits as 4 words, read in one pass (what a regex test, removing the dashes and four parseInt
 * calls gave, at a fraction of the cost: this runs once per record); false when `key` is not a UUID.
 */
function uuidWords(key: string, out: Uint32Array): boolean {
  let word = 0;
  let digits = 0;
  for (let i = 0; i < 36; i++) {
    const c = key.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 0x2d) return false;
      continue;
    }
    const lower = c | 0x20;
    const digit = c >= 0x30 && c <= 0x39 ? c - 0x30 : lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
    if (digit < 0) return false;
    word = (word << 4) | digit;
    if (++digits % 8 === 0) {
      out[digits / 8 - 1] = word >>> 0;
      word = 0;
    }
  }
  return true;
}

/** Mixes all 128 bits (murmur3's finalizer), so keys that share a prefix still spread over the table. */
function hash(key: Uint32Array): number {
  return fmix32(
    key[0] ^ Math.imul(key[1], 0x9e3779b1) ^ Math.imul(key[2], 0x85ebca6b) ^ Math.imul(key[3], 0xc2b2ae35),
  );
}
