import { onBeforeUnmount, reactive } from 'vue';
import { get, type Page, post } from './api';
import {
  type AlertRow,
  applyEntry,
  backoffMs,
  type FeedEntry,
  FINAL_CLOSE_CODES,
  resumeFrom,
} from './duty-alerts';

export type FeedState = 'loading' | 'live' | 'reconnecting' | 'error' | 'revoked';

export interface FeedOptions {
  /** called for each newly opened alert (e.g. to sound a chime) */
  onOpened?: (row: AlertRow) => void;
  /** called after every feed entry (e.g. to read the live rates again) */
  onEntry?: () => void;
}

export type AlertFeed = ReturnType<typeof useAlertFeed>;

/** A short chime for a new alert (Web Audio: no file to fetch). */
export function chime(): void {
  const audio = new AudioContext();
  const osc = audio.createOscillator();
  const gain = audio.createGain();
  osc.frequency.value = 880;
  gain.gain.value = 0.1;
  osc.connect(gain).connect(audio.destination);
  osc.start();
  osc.stop(audio.currentTime + 0.25);
  osc.onended = () => void audio.close();
}

/**
 * The duty desk's live alert feed: the open and acknowledged alerts from the API, then every entry of the
 * console socket `/api/v1/live`. After a drop it reconnects with `since` (the larger of `synced.lastId` and the
 * last entry id), so nothing is missed. Torn down with the component that uses it.
 */
export function useAlertFeed(options: FeedOptions = {}) {
  const feed = reactive({
    rows: [] as AlertRow[],
    state: 'loading' as FeedState,
    error: '',
    /** alert ids being acknowledged right now */
    busy: [] as number[],
  });
  let since: number | null = null;
  let socket: WebSocket | null = null;
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  /** entries that arrived before the first list did */
  let early: FeedEntry[] | null = [];

  function apply(entry: FeedEntry) {
    const known = feed.rows.some((r) => r.id === entry.alertId);
    feed.rows = applyEntry(feed.rows, entry);
    if (!known && entry.kind === 'opened') {
      const row = feed.rows.find((r) => r.id === entry.alertId);
      if (row) options.onOpened?.(row);
    }
    // a group's entry carries no list of its cameras: read them (for "worst cameras now")
    if (entry.alertKind === 'group' && entry.kind === 'grouped') void readChildren(entry.alertId);
    options.onEntry?.();
  }

  async function readChildren(id: number) {
    const detail = await get<AlertRow>(`/alerts/${id}`).catch(() => null);
    if (detail)
      feed.rows = feed.rows.map((r) => (r.id === id ? { ...r, children: detail.children ?? [] } : r));
  }

  async function loadList() {
    try {
      const page = await get<Page<AlertRow>>('/alerts', { status: ['open', 'acknowledged'], limit: 100 });
      feed.rows = page.items;
      for (const e of early ?? []) apply(e);
      early = null;
      feed.error = '';
    } catch (err) {
      feed.state = 'error';
      feed.error = (err as Error).message;
    }
  }

  function connect() {
    if (stopped) return;
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const query = since === null ? '' : `?since=${since}`;
    const ws = new WebSocket(`${proto}//${location.host}/api/v1/live${query}`);
    socket = ws;
    ws.onmessage = (event) => {
      let msg: { type?: string; id?: number; lastId?: number | null } | null = null;
      try {
        msg = JSON.parse(String(event.data));
      } catch {
        return;
      }
      if (!msg || typeof msg.type !== 'string') return;
      since = resumeFrom(since, msg as { type: string });
      if (msg.type === 'hello') {
        attempt = 0;
        if (feed.state !== 'error' || early === null) feed.state = 'live';
        if (early !== null) void loadList();
      } else if (msg.type === 'alert') {
        if (early !== null) early.push(msg as FeedEntry);
        else apply(msg as FeedEntry);
      }
    };
    ws.onclose = (event) => {
      if (socket === ws) socket = null;
      if (stopped) return;
      if (FINAL_CLOSE_CODES.has(event.code)) {
        feed.state = 'revoked';
        return;
      }
      feed.state = 'reconnecting';
      // nothing seen yet to resume from: read the list again once back
      if (since === null) early = [];
      timer = setTimeout(connect, backoffMs(attempt++));
    };
  }

  async function acknowledge(id: number) {
    feed.busy = [...feed.busy, id];
    try {
      const updated = await post<AlertRow>(`/alerts/${id}/acknowledge`, {});
      feed.rows = feed.rows.map((r) => (r.id === id ? { ...r, ...updated, placePath: r.placePath } : r));
    } finally {
      feed.busy = feed.busy.filter((b) => b !== id);
    }
  }

  function retry() {
    feed.state = 'loading';
    early = [];
    if (socket) void loadList().then(() => (feed.state = feed.state === 'error' ? 'error' : 'live'));
    else connect();
  }

  function stop() {
    stopped = true;
    clearTimeout(timer);
    socket?.close(1000, 'left the duty console');
    socket = null;
  }

  connect();
  onBeforeUnmount(stop);
  return { feed, acknowledge, retry, stop };
}
