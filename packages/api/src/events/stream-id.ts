/** Redis stream ids (`<ms>-<seq>`), ordered as Redis orders them (both parts are 64-bit unsigned). */

const STREAM_ID = /^([0-9]{1,20})-([0-9]{1,20})$/;

export function isStreamId(value: string): boolean {
  return STREAM_ID.test(value);
}

export function compareStreamIds(a: string, b: string): number {
  const [am = "0", as = "0"] = a.split("-");
  const [bm = "0", bs = "0"] = b.split("-");
  const ms = BigInt(am) - BigInt(bm);
  if (ms !== 0n) return ms < 0n ? -1 : 1;
  const seq = BigInt(as) - BigInt(bs);
  return seq === 0n ? 0 : seq < 0n ? -1 : 1;
}
