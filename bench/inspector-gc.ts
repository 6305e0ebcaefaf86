/**
 * A full garbage collection in another Node.js process, asked for through its inspector
 * (the process runs with `--inspect=127.0.0.1:PORT`). The memory rows read resident memory
 * after one: with the gateway's heap headroom (src/runtime/heap-headroom.ts) up to 64 MiB of
 * garbage may wait for a collection, and the young generation grows and shrinks with the
 * load, so a plain reading before and after opening sessions measured those as much as the
 * sessions.
 */
import WebSocket from 'ws';

export async function collectGarbage(inspectPort: number): Promise<void> {
  const targets = await (await fetch(`http://127.0.0.1:${inspectPort}/json/list`)).json() as { webSocketDebuggerUrl: string }[];
  const socket = new WebSocket(targets[0].webSocketDebuggerUrl);
  try {
    await new Promise((resolve, reject) => { socket.once('open', resolve); socket.once('error', reject); });
    await new Promise<void>((resolve, reject) => {
      socket.on('message', (data) => {
        const reply = JSON.parse((data as Buffer).toString('utf8')) as { id?: number; error?: { message: string } };
        if (reply.id !== 1) return;
        if (reply.error) reject(new Error(reply.error.message));
        else resolve();
      });
      socket.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' }));
    });
  } finally {
    socket.close();
  }
  // Pages a collection frees are given back by V8's background threads.
  await new Promise((resolve) => setTimeout(resolve, 1000));
}
