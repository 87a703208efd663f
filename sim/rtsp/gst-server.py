#!/usr/bin/python3
"""Xueliang simulator: a GStreamer RTSP server for the cameras that need a real encoder.

Run with /usr/bin/python3 (it needs python3-gi and gir1.2-gst-rtsp-server-1.0).

Configuration: a JSON file named as the only argument, or else the first line of stdin:
  {"host": "127.0.0.1", "port": 8554,
   "mounts": [{"path": "/cam/x/main", "pattern": "moving", "width": 640, "height": 360, "fps": 25,
               "auth": {"user": "admin", "password": "secret"}}]}
pattern is one of moving | black | frozen | noise; auth is optional (Basic).

Prints one line "READY <port>" once listening. Afterwards every stdin line is a command:
  stall <path> on|off    drop (or pass again) the buffers of every live media of that mount
  sessions <path>        answered "SESSIONS <path> <media> <sessions>": the live (prepared) media of that
                         mount, one per client that DESCRIBEd or SETUP it (media are unshared), and the
                         RTSP sessions (clients past SETUP) of the whole server
Exits when stdin closes, so it never outlives the process that started it.
"""

import ctypes
import json
import signal
import sys
import threading

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

PATTERNS = {
    "moving": "pattern=smpte75 horizontal-speed=4",
    "frozen": "pattern=smpte75",
    "black": "pattern=black",
    "noise": "pattern=snow",
}


def die_with_parent():
    """PR_SET_PDEATHSIG: the kernel kills us if the parent dies, even without closing stdin."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)
    except OSError:
        pass


def check_mount(m):
    path = m.get("path")
    if not isinstance(path, str) or not path.startswith("/") or any(c.isspace() for c in path):
        raise ValueError(f"bad mount path: {path!r}")
    if m.get("pattern") not in PATTERNS:
        raise ValueError(f"bad pattern for {path}: {m.get('pattern')!r}")
    for key in ("width", "height", "fps"):
        if not isinstance(m.get(key), int) or not 1 <= m[key] <= 4096:
            raise ValueError(f"bad {key} for {path}")
    auth = m.get("auth")
    if auth is not None and not (isinstance(auth.get("user"), str) and isinstance(auth.get("password"), str)):
        raise ValueError(f"bad auth for {path}")


def launch_line(m):
    fps = m["fps"]
    return (
        f"( videotestsrc is-live=true {PATTERNS[m['pattern']]} "
        f"! video/x-raw,width={m['width']},height={m['height']},framerate={fps}/1 "
        "! valve name=v drop=false "
        f"! x264enc tune=zerolatency speed-preset=ultrafast key-int-max={fps} "
        "! video/x-h264,profile=baseline "
        "! rtph264pay name=pay0 pt=96 config-interval=1 )"
    )


SESSION_TIMEOUT_S = 10


class Server:
    def __init__(self, config):
        self.loop = GLib.MainLoop()
        self.server = GstRtspServer.RTSPServer()
        self.server.set_address(config.get("host", "127.0.0.1"))
        self.server.set_service(str(int(config.get("port", 0))))
        self.server.set_backlog(int(config.get("backlog", 128)))
        self.stalled = set()
        self.media = {}  # path -> list of live RTSPMedia
        mounts = config.get("mounts", [])
        for m in mounts:
            check_mount(m)
        roles = self.setup_auth(mounts)
        points = self.server.get_mount_points()
        for m in mounts:
            factory = GstRtspServer.RTSPMediaFactory()
            factory.set_launch(launch_line(m))
            factory.set_shared(False)  # shared media aborted the server under concurrent SETUPs
            factory.connect("media-configure", self.on_media_configure, m["path"])
            if roles is not None:
                # Every role may see every mount (so a refusal is 401, not 404); only the mount's own
                # credential may construct its media.
                perms = GstRtspServer.RTSPPermissions()
                own = roles[self.cred(m)] if m.get("auth") else None
                for role in list(roles.values()) + ["anonymous"]:
                    perms.add_permission_for_role(role, "media.factory.access", True)
                    perms.add_permission_for_role(role, "media.factory.construct", own is None or role == own)
                factory.set_permissions(perms)
            points.add_factory(m["path"], factory)

    @staticmethod
    def cred(m):
        return (m["auth"]["user"], m["auth"]["password"])

    def setup_auth(self, mounts):
        """One RTSPAuth for the server; each distinct credential gets a role that only its mounts allow."""
        creds = []
        for m in mounts:
            if m.get("auth") and self.cred(m) not in creds:
                creds.append(self.cred(m))
        if not creds:
            return None
        auth = GstRtspServer.RTSPAuth()
        roles = {}
        for i, (user, password) in enumerate(creds):
            role = f"cred{i}"
            roles[(user, password)] = role
            token = GstRtspServer.RTSPToken()
            token.set_string("media.factory.role", role)
            auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), token)
        anonymous = GstRtspServer.RTSPToken()
        anonymous.set_string("media.factory.role", "anonymous")
        auth.set_default_token(anonymous)
        self.server.set_auth(auth)
        return roles

    def on_media_configure(self, _factory, media, path):
        lst = self.media.setdefault(path, [])
        lst.append(media)
        media.connect("unprepared", self.on_media_unprepared, path)
        self.apply_stall(media, path in self.stalled)

    def on_media_unprepared(self, media, path):
        lst = self.media.get(path, [])
        if media in lst:
            lst.remove(media)

    @staticmethod
    def apply_stall(media, on):
        element = media.get_element()
        valve = element.get_by_name("v") if element is not None else None
        if valve is not None:
            valve.set_property("drop", bool(on))

    def command(self, line):
        parts = line.split()
        if len(parts) == 3 and parts[0] == "stall" and parts[2] in ("on", "off"):
            path, on = parts[1], parts[2] == "on"
            (self.stalled.add if on else self.stalled.discard)(path)
            for media in list(self.media.get(path, [])):
                self.apply_stall(media, on)
            print(f"OK stall {path} {parts[2]}", flush=True)
        elif len(parts) == 2 and parts[0] == "sessions":
            media = len(self.media.get(parts[1], []))
            sessions = self.server.get_session_pool().get_n_sessions()
            print(f"SESSIONS {parts[1]} {media} {sessions}", flush=True)
        elif parts:
            print(f"ERR unknown command: {line.strip()}", file=sys.stderr, flush=True)
        return False  # GLib.idle_add: run once

    def read_stdin(self):
        for line in sys.stdin:
            GLib.idle_add(self.command, line)
        GLib.idle_add(self.loop.quit)

    def expire_sessions(self):
        # A session whose client vanished without TEARDOWN ends at its timeout, as on a real camera; without
        # this the pool never checks, and such a session lives as long as the server.
        self.server.get_session_pool().cleanup()
        return True  # GLib.timeout_add_seconds: keep running

    def on_client_connected(self, _server, client):
        client.connect("new-session", self.on_new_session)

    @staticmethod
    def on_new_session(_client, session):
        # Shorter than a camera's usual 60 s so tests see an abandoned session end quickly; clients that stay
        # keep it alive (ffmpeg sends a keep-alive every half timeout).
        session.set_timeout(SESSION_TIMEOUT_S)

    def run(self):
        self.server.connect("client-connected", self.on_client_connected)
        GLib.timeout_add_seconds(1, self.expire_sessions)
        if self.server.attach(None) == 0:
            print("ERR could not listen", file=sys.stderr, flush=True)
            sys.exit(2)
        print(f"READY {self.server.get_bound_port()}", flush=True)
        threading.Thread(target=self.read_stdin, daemon=True).start()
        self.loop.run()


def main():
    die_with_parent()
    Gst.init(None)
    if len(sys.argv) > 1:
        with open(sys.argv[1], encoding="utf-8") as f:
            config = json.load(f)
    else:
        line = sys.stdin.readline()
        if not line:
            sys.exit(0)
        config = json.loads(line)
    Server(config).run()


if __name__ == "__main__":
    main()
