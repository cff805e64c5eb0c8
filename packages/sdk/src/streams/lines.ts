/**
 * Byte streams → text lines. Works on any async iterable of chunks so the
 * parsers stay pure and testable without HTTP.
 */

/** Decodes a fetch body (a web ReadableStream) into text chunks. */
export async function* textChunks(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const text = decoder.decode(value, { stream: true });
      if (text !== "") yield text;
    }
    const rest = decoder.decode();
    if (rest !== "") yield rest;
  } finally {
    // Leaving the loop early (break, abort) must release the connection.
    await reader.cancel().catch(() => undefined);
  }
}

/**
 * Splits text chunks into lines on \n, \r\n or \r (as the SSE spec requires),
 * without the terminator. A last line without a terminator is yielded too.
 */
export async function* splitLines(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  let buffer = "";
  // A chunk ending in \r may be the first half of \r\n: the next chunk decides.
  let pendingCr = false;
  for await (const chunk of chunks) {
    let text = chunk;
    if (pendingCr && text.startsWith("\n")) text = text.slice(1);
    pendingCr = false;
    buffer += text;
    let start = 0;
    for (let i = 0; i < buffer.length; i++) {
      const c = buffer[i];
      if (c !== "\n" && c !== "\r") continue;
      yield buffer.slice(start, i);
      if (c === "\r") {
        if (i + 1 < buffer.length) {
          if (buffer[i + 1] === "\n") i++;
        } else {
          pendingCr = true;
        }
      }
      start = i + 1;
    }
    buffer = buffer.slice(start);
  }
  if (buffer !== "") yield buffer;
}
