import { accessSync, constants } from 'node:fs';

/**
 * The watchdog every ffmpeg/ffprobe runs under, so that no media tool outlives the Node process that
 * started it, however that process ends (exit, SIGTERM, kill -9, OOM kill).
 *
 * Layout: Node spawns the watchdog detached (it leads a new process group); the watchdog forks the tool
 * into that same group with stdin on /dev/null. The watchdog's own stdin is a pipe whose only writer is
 * this Node process, so EOF on it means we are gone: it then signals the whole group (SIGTERM, SIGKILL
 * after the grace period). Signals sent by us to the group reach the tool; the watchdog ignores SIGTERM
 * and SIGINT, waits for the tool and exits with the tool's status (re-raising the tool's fatal signal).
 *
 * Two interchangeable implementations:
 *  - python3 (preferred, ~10 MB): additionally uses prctl(PR_SET_PDEATHSIG), so the kernel SIGKILLs the
 *    watchdog when we die and the tool when the watchdog dies, even if the pipe were somehow inherited.
 *    (The kernel ties it to the spawning thread: started from a worker thread, the run ends with it.)
 *  - node (fallback when no python3 is installed, ~40 MB): stdin EOF only.
 *
 * argv after the script: <our pid> <grace ms> <tool> <tool args...>. Exit 125: we died before it
 * started; 127: the tool could not be executed.
 */

const PYTHON_WATCHDOG = `
import ctypes, os, signal, sys, threading, time
libc = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG = 1
parent, grace, argv = int(sys.argv[1]), int(sys.argv[2]) / 1000.0, sys.argv[3:]
def ignore(signum, frame):
    pass
signal.signal(signal.SIGTERM, ignore)
signal.signal(signal.SIGINT, ignore)
libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
if os.getppid() != parent:
    os._exit(125)
me = os.getpid()
pid = os.fork()
if pid == 0:
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != me:
            os._exit(125)
        fd = os.open(os.devnull, os.O_RDONLY)
        os.dup2(fd, 0)
        os.close(fd)
        os.execvp(argv[0], argv)
    except BaseException as e:
        os.write(2, ("watchdog: cannot run %s: %s\\n" % (argv[0], e)).encode())
    os._exit(127)
def watch_stdin():
    try:
        while os.read(0, 4096):
            pass
    except OSError:
        pass
    os.killpg(0, signal.SIGTERM)
    time.sleep(grace)
    os.killpg(0, signal.SIGKILL)
threading.Thread(target=watch_stdin, daemon=True).start()
while True:
    try:
        status = os.waitpid(pid, 0)[1]
        break
    except InterruptedError:
        continue
if os.WIFSIGNALED(status):
    sig = os.WTERMSIG(status)
    signal.signal(sig, signal.SIG_DFL)
    os.kill(me, sig)
    os._exit(128 + sig)
os._exit(os.WEXITSTATUS(status))
`;

const NODE_WATCHDOG = `
const { spawn } = require('node:child_process');
const [parentArg, graceArg, tool, ...args] = process.argv.slice(1);
if (process.ppid !== Number(parentArg)) process.exit(125);
for (const s of ['SIGTERM', 'SIGINT']) process.on(s, () => {});
const child = spawn(tool, args, { stdio: ['ignore', 'inherit', 'inherit'] });
child.on('error', (e) => { process.stderr.write('watchdog: cannot run ' + tool + ': ' + e.message + '\\n'); process.exit(127); });
child.on('exit', (code, signal) => {
  if (signal) { process.removeAllListeners(signal); process.kill(process.pid, signal); }
  else process.exit(code ?? 1);
});
const killGroup = (signal) => { try { process.kill(0, signal); } catch {} };
process.stdin.on('error', () => {});
process.stdin.on('close', () => {
  killGroup('SIGTERM');
  setTimeout(() => killGroup('SIGKILL'), Number(graceArg)).unref();
});
process.stdin.resume();
`;

export const PYTHON_PATH = '/usr/bin/python3';

export type WatchdogKind = 'python' | 'node';

function pythonUsable(): boolean {
  try {
    accessSync(PYTHON_PATH, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

let defaultKind: WatchdogKind | undefined;

/** python when /usr/bin/python3 exists, else node (checked once). */
export function defaultWatchdog(): WatchdogKind {
  defaultKind ??= pythonUsable() ? 'python' : 'node';
  return defaultKind;
}

/** The command and arguments that run `tool args` under the watchdog. */
export function watchdogCommand(
  kind: WatchdogKind,
  graceMs: number,
  tool: string,
  args: readonly string[],
): { command: string; args: string[] } {
  const tail = [String(process.pid), String(Math.max(0, Math.round(graceMs))), tool, ...args];
  if (kind === 'python') return { command: PYTHON_PATH, args: ['-c', PYTHON_WATCHDOG, ...tail] };
  return { command: process.execPath, args: ['-e', NODE_WATCHDOG, ...tail] };
}
