/** Redis stream ids (`<ms>-<seq>`), ordered as Redis orders them (both parts are 64-bit unsigned). */

const STREAM_ID = /^([0-9]{1,20})-([0-9]{1,20})$/;
const MAX_U64 = 2n ** 64n - 1n;

/**
 * An id Redis accepts: both parts fit in 64 bits unsigned. Twenty digits can
 * exceed that (99999999999999999999), and Redis answers "ERR Invalid stream ID"
 * — which a stream would otherwise show as an empty, closed stream.
 */
export function isStreamId(value: string): boolean {
  const m = STREAM_ID.exec(value);
  return m !== null && BigInt(m[1] ?? "") <= MAX_U64 && BigInt(m[2] ?? "") <= MAX_U64;
}

export function compareStreamIds(a: string, b: string): number {
  const [am = "0", as = "0"] = a.split("-");
  const [bm = "0", bs = "0"] = b.split("-");
  const ms = BigInt(am) - BigInt(bm);
  if (ms !== 0n) return ms < 0n ? -1 : 1;
  const seq = BigInt(as) - BigInt(bs);
  return seq === 0n ? 0 : seq < 0n ? -1 : 1;
}

/** The id just before `id` in Redis' order: reading after it includes `id` itself. */
export function previousStreamId(id: string): string {
  const [ms = "0", seq = "0"] = id.split("-");
  if (BigInt(seq) > 0n) return `${ms}-${BigInt(seq) - 1n}`;
  if (BigInt(ms) === 0n) return "0-0";
  return `${BigInt(ms) - 1n}-${MAX_U64}`;
}
