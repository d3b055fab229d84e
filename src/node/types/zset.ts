// Sorted set value: a member->score Map plus the span-counting skip list.
// Owns consistency between the two; must not know about commands.
import { SkipList } from './skiplist.js';

export class ZSet {
  readonly dict = new Map<string, number>();
  readonly sl = new SkipList();
  get size(): number { return this.dict.size; }

  /** Set a member's score; returns true when the member is new. */
  set(member: string, score: number): boolean {
    const old = this.dict.get(member);
    if (old !== undefined) {
      if (old === score) return false;
      this.sl.delete(old, member);
      this.sl.insert(score, member);
      this.dict.set(member, score);
      return false;
    }
    this.dict.set(member, score);
    this.sl.insert(score, member);
    return true;
  }

  delete(member: string): boolean {
    const old = this.dict.get(member);
    if (old === undefined) return false;
    this.dict.delete(member);
    this.sl.delete(old, member);
    return true;
  }
}
