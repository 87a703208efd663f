import mpegts from 'mpegts.js';

/**
 * One live tile's player: the relay's WebSocket (`/api/v1/cameras/:id/live-stream`: binary MPEG-TS frames and
 * `{type:'status'}` text frames) feeding mpegts.js through a custom loader, as the /player page does. The tile
 * owns the socket, so status frames never reach the demuxer. `destroy()` closes both.
 */
export type TileStatus =
  | 'connecting'
  | 'starting'
  | 'live'
  | 'reconnecting'
  | 'snapshots_only'
  | 'failed'
  | 'refused'
  | 'limit'
  | 'closed'
  | 'unsupported';

const CLOSE_CODES: Record<number, TileStatus> = {
  4401: 'refused',
  4429: 'limit',
  4001: 'closed',
  1013: 'closed',
};

mpegts.LoggingControl.enableVerbose = false;
mpegts.LoggingControl.enableDebug = false;
mpegts.LoggingControl.enableInfo = false;

export interface TilePlayer {
  destroy(): void;
}

export function playTile(
  cameraId: string,
  video: HTMLVideoElement,
  onStatus: (status: TileStatus, message: string) => void,
): TilePlayer {
  if (!mpegts.getFeatureList().mseLivePlayback) {
    onStatus('unsupported', '');
    return { destroy() {} };
  }
  const url = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/api/v1/cameras/${encodeURIComponent(cameraId)}/live-stream`;
  let sink: RelayLoader | null = null;
  let pending: ArrayBuffer[] = [];
  let bytes = 0;
  let status: TileStatus = 'connecting';
  let gone = false;
  const set = (s: TileStatus, message = '') => {
    status = s;
    onStatus(s, message);
  };

  const Base = mpegts.BaseLoader as unknown as new (
    type: string,
  ) => {
    _status: number;
    _needStash: boolean;
    onDataArrival: ((chunk: ArrayBuffer, from: number, received: number) => void) | null;
  };
  class RelayLoader extends Base {
    private received = 0;
    constructor() {
      super('xueliang-relay');
      this._needStash = false;
    }
    open() {
      this._status = mpegts.LoaderStatus.kBuffering;
      sink = this;
      for (const chunk of pending.splice(0)) this.push(chunk);
    }
    abort() {
      if (sink === this) sink = null;
      this._status = mpegts.LoaderStatus.kComplete;
    }
    push(chunk: ArrayBuffer) {
      const from = this.received;
      this.received += chunk.byteLength;
      this.onDataArrival?.(chunk, from, this.received);
    }
  }

  let player: mpegts.Player | null = null;
  function startPlayer() {
    player?.destroy();
    sink = null;
    pending = [];
    player = mpegts.createPlayer({ type: 'mpegts', isLive: true, hasAudio: false, hasVideo: true, url }, {
      enableWorker: false,
      enableStashBuffer: false,
      lazyLoad: false,
      autoCleanupSourceBuffer: true,
      liveBufferLatencyChasing: true,
      liveBufferLatencyMaxLatency: 1.5,
      liveBufferLatencyMinRemain: 0.3,
      customLoader: RelayLoader,
    } as unknown as mpegts.Config);
    player.attachMediaElement(video);
    player.load();
    const played = player.play() as Promise<void> | undefined;
    played?.catch(() => undefined);
  }

  set('connecting');
  startPlayer();
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  ws.onmessage = (event) => {
    if (typeof event.data === 'string') {
      let msg: { type?: string; status?: TileStatus; message?: string } | null = null;
      try {
        msg = JSON.parse(event.data);
      } catch {
        return;
      }
      if (msg?.type !== 'status' || !msg.status) return;
      // after an upstream restart the stream starts over with new timestamps: a fresh demuxer takes it
      if (msg.status === 'live' && status === 'reconnecting') startPlayer();
      set(msg.status, msg.message ?? '');
      return;
    }
    const chunk = event.data as ArrayBuffer;
    bytes += chunk.byteLength;
    if (sink) sink.push(chunk);
    else pending.push(chunk);
  };
  ws.onclose = (event) => {
    if (gone) return;
    if (status === 'failed' || status === 'snapshots_only') return;
    const known = CLOSE_CODES[event.code];
    // a refused upgrade reaches a browser as a bare 1006 before any byte
    set(known ?? (bytes === 0 && event.code === 1006 ? 'refused' : 'closed'), event.reason);
  };

  return {
    destroy() {
      gone = true;
      ws.close(1000, 'tile closed');
      player?.destroy();
      player = null;
    },
  };
}
