/**
 * Values by wave id, least recently used first, up to `maxNodes` wave nodes in
 * all: what a cached plan or state costs grows with its wave, not with the
 * number of waves. The value just set always stays, however large.
 */
export class NodeBoundedCache<V> {
  private readonly entries = new Map<string, V>();
  private nodes = 0;

  constructor(
    private readonly maxNodes: number,
    private readonly sizeOf: (value: V) => number,
    private readonly onEvict: (id: string) => void = () => undefined,
  ) {}

  get(id: string): V | undefined {
    return this.entries.get(id);
  }

  /** get, and mark it the most recently used. */
  touch(id: string): V | undefined {
    const value = this.entries.get(id);
    if (value !== undefined) {
      this.entries.delete(id);
      this.entries.set(id, value);
    }
    return value;
  }

  set(id: string, value: V): void {
    if (this.entries.get(id) === value) return;
    this.delete(id);
    this.entries.set(id, value);
    this.nodes += this.sizeOf(value);
    for (const old of [...this.entries.keys()]) {
      if (this.nodes <= this.maxNodes || old === id) break;
      this.delete(old);
    }
  }

  delete(id: string): void {
    const value = this.entries.get(id);
    if (value === undefined) return;
    this.entries.delete(id);
    this.nodes -= this.sizeOf(value);
    this.onEvict(id);
  }
}
