/**
 * The contracts of the live relay, shared by its parts:
 *
 *   camera ──(one Upstream: ffmpeg -c copy → MPEG-TS, or a stream from the instance that owns the camera)──►
 *   RelayManager (per camera: keyframe cache, fan-out, idle stop, restarts) ──► RelayViewer × N (WebSockets)
 *
 * An UpstreamFactory decides where a camera's bytes come from: the local ffmpeg pull when this instance holds
 * the camera's lease in Redis, else the owner instance's internal stream. Viewers never know which.
 */

/** What a player is told besides the bytes (sent as a JSON text frame `{type:'status', status, message}`). */
export type RelayStatus =
  /** the upstream is being opened */
  | 'starting'
  /** bytes are flowing */
  | 'live'
  /** the upstream stalled or ended; it is being restarted with backoff */
  | 'reconnecting'
  /** H.265 and no transcode slot free: the player shows refreshed snapshots instead */
  | 'snapshots_only'
  /** the relay gave up (camera unreachable after retries, caps reached); the socket closes after this */
  | 'failed';

export interface RelayViewer {
  /** A label for logs and metrics (never a credential): e.g. the audit session id. */
  readonly id: string;
  /** Whole 188-byte MPEG-TS packets. The viewer must not block: it buffers or reports its backlog. */
  write(chunk: Buffer): void;
  /** Bytes written but not yet sent to the client (a WebSocket's bufferedAmount). */
  bufferedBytes(): number;
  status(status: RelayStatus, message: string): void;
  close(code: number, reason: string): void;
}

export interface UpstreamEvents {
  /** MPEG-TS bytes, cut at packet boundaries */
  data: (chunk: Buffer) => void;
  /** the upstream ended (exit, stall, owner gone); `restart` false when retrying is pointless */
  end: (reason: string, restart: boolean) => void;
}

export interface Upstream {
  /** 'copy' (H.264 passed through), 'transcode' (H.265 → H.264), or 'remote' (served by the owner instance) */
  readonly kind: 'copy' | 'transcode' | 'remote';
  on<E extends keyof UpstreamEvents>(event: E, listener: UpstreamEvents[E]): this;
  /** Stops it for good (process group killed, or the remote stream closed). Idempotent. */
  stop(): Promise<void>;
}

/** Opens the upstream of one camera; rejects with a RelayRefusal when it must not (caps, no stream URL). */
export type UpstreamFactory = (cameraId: string) => Promise<Upstream>;

export class RelayRefusal extends Error {
  constructor(
    readonly status: RelayStatus,
    message: string,
  ) {
    super(message);
    this.name = 'RelayRefusal';
  }
}
