import { spawn } from 'node:child_process';

/** Runs a shell command line; resolves with its wall time in ms, rejects on a non-zero exit. */
export function timeShell(commandLine: string, timeoutMs = 300_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn('sh', ['-c', commandLine], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const timer = setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code === 0) resolve(ms);
      else reject(new Error(`exit ${code}: ${commandLine}\n${stderr.trim()}`));
    });
  });
}
