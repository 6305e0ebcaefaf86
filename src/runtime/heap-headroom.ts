/**
 * Keeps the V8 heap's next full-GC trigger far enough above the live heap for a relay's
 * Buffer traffic.
 *
 * Why: V8 (Node 20) counts the external memory allocated since the last mark-compact (every
 * socket read and every decrypted packet is a new ArrayBuffer) against the old generation's
 * allocation limit, and starts a full mark once the space left under that limit drops
 * below the new space's capacity (16 MiB). Young ArrayBuffers are freed only when a scavenge
 * runs, which V8 starts once about 32 MiB of them are held. A small heap (a gateway's is
 * ~20 MiB) gets a limit only ~24 MiB above its live size, so while data streams, every
 * climb towards those 32 MiB started a full mark of the whole heap: 40–50 mark-compacts per
 * GiB relayed, which doubled the gateway's CPU per GiB. Whether a process fell into that
 * depended on where its external-memory baseline was last reset, so it looked like a mode
 * some processes had and others not. A growth factor that puts the limit at least
 * HEADROOM_BYTES above the live heap ends it (0–3 mark-compacts per GiB).
 *
 * `--heap-growing-percent` is read at every full GC, so it can be set at run time; 0 gives
 * the choice back to V8, which is what a large heap gets: its own growth already leaves room.
 */
import v8 from 'node:v8';

export const HEADROOM_BYTES = 64 * 1024 * 1024;
const LARGE_HEAP_BYTES = 256 * 1024 * 1024;
const MAX_PERCENT = 400;
const CHECK_EVERY_MS = 5000;

/** The heap growth percent that leaves HEADROOM_BYTES above `liveBytes`; 0 when V8's own is enough. */
export function headroomPercent(liveBytes: number): number {
  if (!Number.isFinite(liveBytes) || liveBytes >= LARGE_HEAP_BYTES) return 0;
  return Math.min(MAX_PERCENT, Math.ceil((100 * HEADROOM_BYTES) / Math.max(liveBytes, 1)));
}

/** Sets the growth percent now and re-checks it every few seconds, for the life of the process, as the heap grows or shrinks. */
export function keepHeapHeadroom(): void {
  let current = -1;
  const adjust = () => {
    const percent = headroomPercent(v8.getHeapStatistics().used_heap_size);
    if (percent === current) return;
    v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
    current = percent;
  };
  adjust();
  setInterval(adjust, CHECK_EVERY_MS).unref();
}
