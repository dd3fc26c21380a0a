/**
 * Streams a capture file (or standard input) through a CaptureParser in fixed-size
 * chunks: a file of any size is read with one reused buffer, so memory stays bounded by
 * the chunk size plus the parser's carry buffer (one record, ≤ 16 MiB).
 */
import { open } from "node:fs/promises";
import { CaptureParser } from "./capture-parser.js";
import type { CaptureStats, FrameHandler } from "./types.js";

export const DEFAULT_CHUNK_SIZE = 1024 * 1024;
/** Chunk sizes are clamped to [4 KiB, 64 MiB]. */
const MIN_CHUNK = 4096;
const MAX_CHUNK = 64 * 1024 * 1024;

export interface ReadCaptureOptions {
  /** Bytes per read (default 1 MiB). */
  chunkSize?: number;
  /** Called after every chunk; `totalBytes` is the file size, undefined for stdin and pipes. */
  onProgress?: (bytesRead: number, totalBytes: number | undefined) => void;
  /**
   * Awaited after every chunk, once its frames are handled: lets the consumer hold reading
   * back (e.g. until its output has drained) so that nothing queues up without bound.
   */
  afterChunk?: () => void | Promise<void>;
  /** Receives pcapng Decryption Secrets Blocks (secrets type, data). */
  onSecrets?: (secretsType: number, data: Buffer) => void;
}

export type ReadCaptureResult = CaptureStats & { error?: string };

/**
 * Reads the capture at `path` (`"-"` = standard input) to its end, or until a fatal
 * format error, calling `onFrame` for every frame (valid only during the call). Resolves
 * with the parser's counters and, when parsing or reading failed, `error`; it does not
 * reject for a missing or unreadable file either.
 */
export async function readCapture(
  path: string,
  onFrame: FrameHandler,
  opts: ReadCaptureOptions = {},
): Promise<ReadCaptureResult> {
  const parser = new CaptureParser();
  parser.onSecrets = opts.onSecrets;
  const onProgress = opts.onProgress;
  const afterChunk = opts.afterChunk;
  let ioError: string | undefined;
  try {
    if (path === "-") {
      let bytesRead = 0;
      for await (const chunk of process.stdin) {
        const b: Buffer = typeof chunk === "string" ? Buffer.from(chunk, "latin1") : chunk;
        bytesRead += b.length;
        parser.push(b, onFrame);
        onProgress?.(bytesRead, undefined);
        if (parser.error !== undefined) break;
        const wait = afterChunk?.();
        if (wait !== undefined) await wait;
      }
    } else {
      const chunkSize = Math.min(
        MAX_CHUNK,
        Math.max(MIN_CHUNK, Math.floor(opts.chunkSize ?? DEFAULT_CHUNK_SIZE)),
      );
      const fh = await open(path, "r");
      let pending: ReturnType<typeof fh.read> | undefined;
      try {
        const st = await fh.stat();
        const total = st.isFile() ? st.size : undefined;
        // Two buffers: the next chunk is read (on the I/O thread) while this one is
        // parsed. The parser copies what it must keep (the carry), so a buffer is free
        // again once push() returns.
        const bufs = [Buffer.allocUnsafe(chunkSize), Buffer.allocUnsafe(chunkSize)];
        let which = 0;
        let bytesRead = 0;
        pending = fh.read(bufs[0], 0, chunkSize, null);
        for (;;) {
          const { bytesRead: n } = await pending;
          if (n === 0) break;
          const buf = bufs[which];
          which ^= 1;
          pending = fh.read(bufs[which], 0, chunkSize, null);
          bytesRead += n;
          parser.push(n === chunkSize ? buf : buf.subarray(0, n), onFrame);
          onProgress?.(bytesRead, total);
          if (parser.error !== undefined) break;
          const wait = afterChunk?.();
          if (wait !== undefined) await wait;
        }
      } finally {
        // Never close the file under a read still in flight.
        await pending?.catch(() => undefined);
        await fh.close();
      }
    }
  } catch (e) {
    // open/read failures, or a failing afterChunk/onProgress callback
    ioError = `reading ${path === "-" ? "standard input" : path} failed: ${e instanceof Error ? e.message : String(e)}`;
  }
  parser.finish();
  const s = parser.stats;
  const error = ioError ?? parser.error;
  const out: ReadCaptureResult = {
    format: s.format,
    frames: s.frames,
    bytes: s.bytes,
    malformed: { ...s.malformed },
  };
  if (error !== undefined) out.error = error;
  return out;
}
