// Sorted-set skip list with span counts (O(log n) rank, range by rank, score
// and lex), ordered by (score, member bytes). Members are latin1 strings, so
// string comparison is byte order. Owns only the ordering; the member->score
// Map lives in zset.ts. Must not know about commands or replies.
const MAX_LEVEL = 32;
const P = 0.25;

interface Level { next: SkipNode | null; span: number }
export interface SkipNode { member: string; score: number; prev: SkipNode | null; levels: Level[] }

function newNode(level: number, score: number, member: string): SkipNode {
  const levels: Level[] = new Array(level);
  for (let i = 0; i < level; i++) levels[i] = { next: null, span: 0 };
  return { member, score, prev: null, levels };
}

function randomLevel(): number {
  let l = 1;
  while (l < MAX_LEVEL && Math.random() < P) l++;
  return l;
}

function less(s1: number, m1: string, s2: number, m2: string): boolean {
  return s1 < s2 || (s1 === s2 && m1 < m2);
}

export class SkipList {
  readonly head: SkipNode = newNode(MAX_LEVEL, 0, '');
  tail: SkipNode | null = null;
  length = 0;
  level = 1;

  insert(score: number, member: string): SkipNode {
    const update: SkipNode[] = new Array(MAX_LEVEL);
    const rank: number[] = new Array(MAX_LEVEL);
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      rank[i] = i === this.level - 1 ? 0 : rank[i + 1]!;
      let n = x.levels[i]!.next;
      while (n !== null && less(n.score, n.member, score, member)) {
        rank[i]! += x.levels[i]!.span;
        x = n;
        n = x.levels[i]!.next;
      }
      update[i] = x;
    }
    const level = randomLevel();
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        rank[i] = 0;
        update[i] = this.head;
        this.head.levels[i]!.span = this.length;
      }
      this.level = level;
    }
    const node = newNode(level, score, member);
    for (let i = 0; i < level; i++) {
      const u = update[i]!;
      node.levels[i]!.next = u.levels[i]!.next;
      u.levels[i]!.next = node;
      node.levels[i]!.span = u.levels[i]!.span - (rank[0]! - rank[i]!);
      u.levels[i]!.span = rank[0]! - rank[i]! + 1;
    }
    for (let i = level; i < this.level; i++) update[i]!.levels[i]!.span++;
    node.prev = update[0] === this.head ? null : update[0]!;
    if (node.levels[0]!.next) node.levels[0]!.next.prev = node;
    else this.tail = node;
    this.length++;
    return node;
  }

  delete(score: number, member: string): boolean {
    const update: SkipNode[] = new Array(MAX_LEVEL);
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.levels[i]!.next;
      while (n !== null && less(n.score, n.member, score, member)) { x = n; n = x.levels[i]!.next; }
      update[i] = x;
    }
    const t = x.levels[0]!.next;
    if (t === null || t.score !== score || t.member !== member) return false;
    for (let i = 0; i < this.level; i++) {
      const u = update[i]!;
      if (u.levels[i]!.next === t) {
        u.levels[i]!.span += t.levels[i]!.span - 1;
        u.levels[i]!.next = t.levels[i]!.next;
      } else u.levels[i]!.span -= 1;
    }
    if (t.levels[0]!.next) t.levels[0]!.next.prev = t.prev;
    else this.tail = t.prev;
    while (this.level > 1 && this.head.levels[this.level - 1]!.next === null) this.level--;
    this.length--;
    return true;
  }

  /** 0-based rank of an existing element, or -1. */
  rank(score: number, member: string): number {
    let r = 0;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.levels[i]!.next;
      while (n !== null && (less(n.score, n.member, score, member) || (n.score === score && n.member === member))) {
        r += x.levels[i]!.span;
        x = n;
        n = x.levels[i]!.next;
      }
      if (x !== this.head && x.member === member && x.score === score) return r - 1;
    }
    return -1;
  }

  /** Node at 0-based rank, or null. */
  byRank(rank: number): SkipNode | null {
    if (rank < 0 || rank >= this.length) return null;
    let traversed = 0;
    const target = rank + 1;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.levels[i]!.next !== null && traversed + x.levels[i]!.span <= target) {
        traversed += x.levels[i]!.span;
        x = x.levels[i]!.next!;
      }
      if (traversed === target) return x;
    }
    return null;
  }

  /** First node with score in range (gt: exclusive min). */
  firstInScore(min: number, minEx: boolean): SkipNode | null {
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.levels[i]!.next;
      while (n !== null && (minEx ? n.score <= min : n.score < min)) { x = n; n = x.levels[i]!.next; }
    }
    return x.levels[0]!.next;
  }

  /** Last node with score <= max (or < max when exclusive). */
  lastInScore(max: number, maxEx: boolean): SkipNode | null {
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.levels[i]!.next;
      while (n !== null && (maxEx ? n.score < max : n.score <= max)) { x = n; n = x.levels[i]!.next; }
    }
    return x === this.head ? null : x;
  }

  /** First node whose member passes the lex min (all scores assumed equal). */
  firstInLex(test: (m: string) => boolean): SkipNode | null {
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.levels[i]!.next;
      while (n !== null && !test(n.member)) { x = n; n = x.levels[i]!.next; }
    }
    return x.levels[0]!.next;
  }

  /** Last node whose member passes the lex max. */
  lastInLex(test: (m: string) => boolean): SkipNode | null {
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.levels[i]!.next;
      while (n !== null && test(n.member)) { x = n; n = x.levels[i]!.next; }
    }
    return x === this.head ? null : x;
  }

  first(): SkipNode | null { return this.head.levels[0]!.next; }
}
