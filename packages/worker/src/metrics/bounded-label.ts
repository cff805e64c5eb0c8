/**
 * A label whose values come from data (tenant names) kept to a bounded set: the
 * first `max` distinct values keep their name, every later one is counted as
 * OTHER_LABEL. Prometheus keeps one series per label combination, so an
 * unbounded label (a build id, a caller-chosen name) grows its memory forever.
 */
export const OTHER_LABEL = "_other";

export class BoundedLabel {
  private readonly seen = new Set<string>();

  constructor(private readonly max: number) {}

  of(value: string): string {
    if (this.seen.has(value)) return value;
    if (this.seen.size >= this.max) return OTHER_LABEL;
    this.seen.add(value);
    return value;
  }
}
