/**
 * Tells a stream the peer opens now from an old one quiche still mentions (data or a
 * reset arriving after we forgot the stream). Ids of one type rise by 4 but may arrive
 * out of order, so we keep the lowest id not seen yet plus the few seen above it.
 */
export class PeerStreamIds {
  private next: number;
  private readonly above = new Set<number>();

  constructor(first: number) {
    this.next = first;
  }

  /** The lowest id of this type the peer has not opened yet (as far as we have seen). */
  get lowestUnseen(): number {
    return this.next;
  }

  /** True the first time `id` is offered. */
  claim(id: number): boolean {
    if (id < this.next || this.above.has(id)) return false;
    this.above.add(id);
    while (this.above.delete(this.next)) this.next += 4;
    return true;
  }
}
