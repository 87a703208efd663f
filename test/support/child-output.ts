import type { ChildProcess } from 'node:child_process';

/** Keeps a child's last output lines (and how it exited) in `into`, for failure messages. */
export function keepOutput(child: ChildProcess, name: string, into: string[], max = 200): void {
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (line.trim() === '') continue;
      into.push(line.slice(0, 500));
      if (into.length > max) into.shift();
    }
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('exit', (code, signal) => into.push(`[${name} exited: code ${code}, signal ${signal}]`));
}
