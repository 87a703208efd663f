// Xueliang's minimal live player: /player?camera=<id> plays the camera's relay stream with mpegts.js.
// Binary WebSocket frames are MPEG-TS; text frames are {type:'status', status, message}. Tests read window.__player.
(() => {
  const mpegts = window.mpegts;
  if (mpegts) {
    mpegts.LoggingControl.enableVerbose = false;
    mpegts.LoggingControl.enableDebug = false;
    mpegts.LoggingControl.enableInfo = false;
  }
  const video = document.getElementById('video');
  const overlay = document.getElementById('overlay');
  const overlayText = document.getElementById('overlay-text');
  const overlayDetail = document.getElementById('overlay-detail');

  /** What each state says: Chinese for the desk, English beside it. */
  const TEXT = {
    connecting: ['正在连接…', 'Connecting…'],
    starting: ['正在打开视频流…', 'Starting the stream…'],
    live: ['', 'Live'],
    reconnecting: ['重新连接中…', 'Reconnecting…'],
    snapshots_only: ['仅快照', 'Snapshots only'],
    failed: ['无法播放', 'Playback failed'],
    refused: ['无权查看此摄像机', 'Refused: not in your scope, or no such camera'],
    signed_out: ['请先登录', 'Sign in first'],
    revoked: ['访问已撤销', 'Access revoked'],
    limit: ['观看数已达上限', 'Viewer limit reached'],
    slow: ['网络太慢，已断开', 'Link too slow'],
    busy: ['服务繁忙，请稍后重试', 'Busy, try again later'],
    closed: ['连接已断开', 'Disconnected'],
    no_camera: ['未指定摄像机', 'No camera given: /player?camera=<id>'],
    unsupported: ['此浏览器无法播放视频流', 'This browser cannot play MSE video'],
  };

  const state = {
    status: 'connecting',
    message: '',
    statuses: [],
    bytes: 0,
    closeCode: null,
    closeReason: '',
    errors: [],
  };

  function show(status, message) {
    state.status = status;
    state.message = message || '';
    state.statuses.push(status);
    const [zh, en] = TEXT[status] || [status, status];
    overlay.hidden = status === 'live';
    overlayText.textContent = zh;
    overlayDetail.textContent = message ? `${en} — ${message}` : en;
    overlay.title = en;
    login.hidden = status !== 'signed_out';
  }

  // Signed out: a small form logs in through the API (which sets the session cookie) and starts again.
  const login = document.getElementById('login');
  login.addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = new FormData(login);
    const res = await fetch('/api/v1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: form.get('username'), password: form.get('password') }),
    }).catch(() => null);
    if (res?.ok) window.location.reload();
    else
      document.getElementById('login-error').textContent = res
        ? `登录失败 Sign-in failed (HTTP ${res.status})`
        : '网络错误 Network error';
  });

  window.__player = {
    get status() {
      return state.status;
    },
    get message() {
      return state.message;
    },
    get statuses() {
      return state.statuses.slice();
    },
    get bytes() {
      return state.bytes;
    },
    get closeCode() {
      return state.closeCode;
    },
    get closeReason() {
      return state.closeReason;
    },
    get errors() {
      return state.errors.slice();
    },
    get currentTime() {
      return video.currentTime;
    },
    get decodedFrames() {
      const q = video.getVideoPlaybackQuality ? video.getVideoPlaybackQuality() : null;
      return q ? q.totalVideoFrames : 0;
    },
    get droppedFrames() {
      const q = video.getVideoPlaybackQuality ? video.getVideoPlaybackQuality() : null;
      return q ? q.droppedVideoFrames : 0;
    },
  };

  const camera = new URLSearchParams(location.search).get('camera');
  if (!camera) {
    show('no_camera');
    return;
  }
  if (!mpegts?.getFeatureList().mseLivePlayback) {
    show('unsupported');
    return;
  }
  const wsUrl = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/api/v1/cameras/${encodeURIComponent(camera)}/live-stream`;

  // mpegts.js reads through this loader; the page owns the WebSocket, so status frames never reach the demuxer
  // and a player can be rebuilt (after an upstream restart) without reconnecting.
  let sink = null;
  let pending = [];
  class RelayLoader extends mpegts.BaseLoader {
    constructor() {
      super('xueliang-relay');
      this._needStash = false;
      this._received = 0;
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
    push(chunk) {
      const from = this._received;
      this._received += chunk.byteLength;
      if (this.onDataArrival) this.onDataArrival(chunk, from, this._received);
    }
  }

  let player = null;
  function startPlayer() {
    if (player) {
      player.destroy();
      player = null;
    }
    sink = null;
    pending = [];
    player = mpegts.createPlayer(
      { type: 'mpegts', isLive: true, hasAudio: false, hasVideo: true, url: wsUrl },
      {
        enableWorker: false,
        enableStashBuffer: false,
        lazyLoad: false,
        autoCleanupSourceBuffer: true,
        liveBufferLatencyChasing: true,
        liveBufferLatencyMaxLatency: 1.5,
        liveBufferLatencyMinRemain: 0.3,
        customLoader: RelayLoader,
      },
    );
    player.on(mpegts.Events.ERROR, (type, detail, info) => {
      state.errors.push(`${type}: ${detail}${info?.msg ? ` (${info.msg})` : ''}`);
    });
    player.attachMediaElement(video);
    player.load();
    const played = player.play();
    if (played?.catch) played.catch((err) => state.errors.push(`play: ${err.message}`));
  }

  show('connecting');
  startPlayer();
  const ws = new WebSocket(wsUrl);
  ws.binaryType = 'arraybuffer';
  ws.onmessage = (event) => {
    if (typeof event.data === 'string') {
      let msg = null;
      try {
        msg = JSON.parse(event.data);
      } catch {
        return;
      }
      if (msg?.type !== 'status') return;
      // after an upstream restart the MPEG-TS starts over (new timestamps): a fresh demuxer takes it cleanly
      if (msg.status === 'live' && state.status === 'reconnecting') startPlayer();
      show(msg.status, msg.message);
      return;
    }
    state.bytes += event.data.byteLength;
    if (sink) sink.push(event.data);
    else pending.push(event.data);
  };
  // the endpoint's close codes (src/http/routes/video.ts); 4002 follows a 'failed' status that said why
  const CLOSE_CODES = { 4401: 'revoked', 4429: 'limit', 4001: 'slow', 1013: 'busy' };
  const REFUSALS = { 401: 'signed_out', 403: 'refused', 404: 'refused' };
  /** The state a closed socket leaves the page in. */
  async function closedAs(event) {
    if (state.status === 'failed' || state.status === 'snapshots_only') return [state.status, state.message];
    const reason = event.reason || `code ${event.code}`;
    if (CLOSE_CODES[event.code]) return [CLOSE_CODES[event.code], reason];
    if (state.bytes > 0 || event.code !== 1006) return ['closed', reason];
    // a refused upgrade reaches a browser as a bare 1006: the camera's own route says why
    const res = await fetch(`/api/v1/cameras/${encodeURIComponent(camera)}`).catch(() => null);
    return [(res && REFUSALS[res.status]) || 'closed', res ? `HTTP ${res.status}` : reason];
  }
  ws.onclose = async (event) => {
    const [status, message] = await closedAs(event);
    // closeCode last: a test that waits for it then reads the state the page shows
    show(status, message);
    state.closeCode = event.code;
    state.closeReason = event.reason;
  };
  window.addEventListener('pagehide', () => {
    ws.close(1000, 'page closed');
    if (player) player.destroy();
  });
})();
