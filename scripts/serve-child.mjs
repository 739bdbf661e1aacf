// Starts scripts/serve.mjs as a child process on a port the OS picks (--port 0), for the browser
// tests and the page benchmark. Resolves with the URL once the server listens; rejects if it
// exits first, so a failed start is an error instead of a promise that never settles.
// `sent` collects the server's --log lines ({path, status, bytes}) when `log` is true.
import { spawn } from 'node:child_process';

export function startServer(dir = 'dist', { log = true } = {}) {
  const proc = spawn(process.execPath, ['scripts/serve.mjs', dir, '--port', '0', ...(log ? ['--log'] : [])],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  const sent = [];
  let rest = '';
  return new Promise((resolveStart, rejectStart) => {
    let url = null;
    proc.on('exit', (code, signal) => {
      if (!url) rejectStart(new Error(`scripts/serve.mjs exited before listening (code ${code}, signal ${signal})`));
    });
    proc.on('error', rejectStart);
    proc.stdout.on('data', (d) => {
      const lines = (rest + d).split('\n');
      rest = lines.pop();
      for (const l of lines) {
        if (l.startsWith('{')) { try { sent.push(JSON.parse(l)); } catch { /* not a log line */ } continue; }
        const m = !url && l.match(/serving .* at (http:\/\/127\.0\.0\.1:\d+\/)/);
        if (m) {
          url = m[1];
          resolveStart({ url, sent, close: () => proc.kill() });
        }
      }
    });
  });
}
