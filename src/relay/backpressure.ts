/**
 * Per-viewer flow control of the fan-out, as a pure decision per chunk. A viewer is
 *  - 'live': every chunk is written to it;
 *  - 'waiting': it has not started yet or the upstream was restarted: it starts at the next keyframe;
 *  - 'behind': its backlog passed the limit: chunks are dropped until it has drained to half the limit and a
 *    keyframe comes (it restarts there with PAT/PMT, so its decoder never sees a broken GOP). A viewer still
 *    behind after `giveUpMs` is closed. So a slow viewer costs at most its limit in memory and nothing to
 *    the others.
 */

export type FlowMode = 'live' | 'waiting' | 'behind';

export interface FlowState {
  mode: FlowMode;
  /** When the viewer fell behind (mode 'behind'). */
  behindSince: number;
}

export interface FlowInput {
  /** The viewer's backlog before this chunk. */
  buffered: number;
  maxBuffered: number;
  /** Offset of the first keyframe in the chunk, -1 when it has none. */
  keyframeAt: number;
  now: number;
  giveUpMs: number;
}

export type FlowAction =
  | { kind: 'send' }
  | { kind: 'drop' }
  /** PAT, PMT, then the chunk from `offset` (the keyframe) on */
  | { kind: 'start'; offset: number }
  | { kind: 'close' };

const SEND: FlowAction = { kind: 'send' };
const DROP: FlowAction = { kind: 'drop' };
const CLOSE: FlowAction = { kind: 'close' };

/** A viewer behind for longer than this (default) is closed. */
export const DEFAULT_GIVE_UP_MS = 10_000;

/** Decides what to do with one chunk for one viewer; updates `state` in place. */
export function nextFlow(state: FlowState, input: FlowInput): FlowAction {
  const { buffered, maxBuffered, keyframeAt, now } = input;
  if (state.mode === 'live') {
    if (buffered <= maxBuffered) return SEND;
    state.mode = 'behind';
    state.behindSince = now;
    return DROP;
  }
  if (state.mode === 'behind') {
    if (now - state.behindSince > input.giveUpMs) return CLOSE;
    if (keyframeAt < 0 || buffered > maxBuffered / 2) return DROP;
  } else if (keyframeAt < 0) return DROP;
  state.mode = 'live';
  return { kind: 'start', offset: keyframeAt };
}

export function waitingFlow(): FlowState {
  return { mode: 'waiting', behindSince: 0 };
}
