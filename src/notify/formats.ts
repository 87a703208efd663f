/**
 * What a notification says and how each channel wants it: the Chinese message of a feed entry, and the HTTP
 * request of a generic webhook, a DingTalk custom robot or a WeCom group robot. Pure: the worker opens the route's
 * target and sends what these return.
 *
 * Channels, from their public documentation:
 * - webhook (ours): JSON body; `X-Xueliang-Timestamp` (Unix seconds) and `X-Xueliang-Signature: sha256=<hex>`, the
 *   HMAC-SHA256 of "<timestamp>.<body>" keyed with the route secret. `X-Xueliang-Delivery` is the same on every
 *   attempt of one notification, so a receiver can drop a repeat.
 * - DingTalk custom robot (oapi.dingtalk.com/robot/send?access_token=…): `{msgtype: 'markdown', markdown: {title,
 *   text}}`. With 加签 (a secret starting "SEC"): sign = urlEncode(base64(HmacSHA256(key = secret,
 *   timestamp + "\n" + secret))), timestamp in milliseconds and within an hour of DingTalk's clock, appended to
 *   the URL as `&timestamp=…&sign=…`. Replies `{errcode, errmsg}`; errcode 0 is success.
 * - WeCom group robot (qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…): `{msgtype: 'markdown', markdown:
 *   {content}}`, content at most 4096 bytes of UTF-8, colours only info/comment/warning. It has no signature:
 *   the key in the URL is the only credential. Replies `{errcode, errmsg}`.
 */
import { createHmac } from 'node:crypto';
import type { FeedEntry, FeedKind } from '../alerting/feed-repo.js';
import type { Severity } from '../alerting/rules.js';

export const CHANNELS = ['webhook', 'dingtalk', 'wecom'] as const;
export type Channel = (typeof CHANNELS)[number];

export interface RouteTarget {
  url: string;
  /** webhook: the HMAC key; DingTalk: the 加签 secret (optional); WeCom: none */
  secret: string | null;
}

export interface MessageOptions {
  consoleUrl: string;
  timeZone: string;
}

export interface NotifyMessage {
  /** one line, e.g. 【严重告警】摄像机离线 */
  title: string;
  lines: { label: string; value: string }[];
  link: string;
  tone: 'alarm' | 'notice' | 'recovered';
}

export interface OutboundRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export const SEVERITY_LABELS: Record<Severity, string> = { critical: '严重', major: '重要', minor: '一般' };

export const CAUSE_LABELS: Record<string, string> = {
  offline: '离线',
  picture: '画面异常',
  auth_failure: '认证失败（账号或密码被拒）',
  session_limit: '连接数已满',
  clock_drift: '时钟偏差（未校时）',
  osd_mismatch: 'OSD 标注与点位不符',
};

export const PICTURE_FAULT_LABELS: Record<string, string> = {
  black: '黑屏',
  frozen: '画面冻结',
  blur: '画面模糊',
  brightness: '亮度异常',
  colour_cast: '偏色',
  noise: '雪花噪点',
};

/** A group alert's detail is '<kind of node>_down': the node that went dark. */
const GROUP_NODE_LABELS: Record<string, string> = {
  site_down: '站点整体',
  village_down: '村（社区）整体',
  police_district_down: '警务区整体',
  town_down: '乡镇整体',
  township_down: '乡镇整体',
  county_down: '全县整体',
};

/** Every message ends with this, so a DingTalk robot guarded by a keyword can take "雪亮" as its keyword. */
const SIGNATURE_LINE = '雪亮视频监控';
const WECOM_MAX_BYTES = 4096;

/** "2024-05-01 14:03:05" in the county's time zone. */
export function countyTime(at: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const get = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}:${get('second')}`;
}

export function faultLabel(cause: string, detail: string | null): string {
  const label = CAUSE_LABELS[cause] ?? cause;
  if (cause !== 'picture' || !detail) return label;
  return `${label}（${PICTURE_FAULT_LABELS[detail] ?? detail}）`;
}

const text = (p: Record<string, unknown>, key: string): string | null =>
  typeof p[key] === 'string' && p[key] !== '' ? (p[key] as string) : null;
const num = (p: Record<string, unknown>, key: string): number | null =>
  typeof p[key] === 'number' ? (p[key] as number) : null;

function placeOf(p: Record<string, unknown>): string | null {
  const path = p.placePath;
  if (!Array.isArray(path) || path.length === 0) return null;
  return path.filter((n): n is string => typeof n === 'string').join(' / ');
}

const TICKET_KINDS: readonly FeedKind[] = ['ticket_opened', 'ticket_escalated'];

/** The Chinese message of an entry the dispatcher chose to notify (see match.ts). */
export function composeMessage(entry: FeedEntry, opts: MessageOptions): NotifyMessage {
  return TICKET_KINDS.includes(entry.kind) ? ticketMessage(entry, opts) : alertMessage(entry, opts);
}

function consoleLink(consoleUrl: string, what: 'alerts' | 'tickets', id: number | null): string {
  return `${consoleUrl.replace(/\/+$/, '')}/#/${what}/${id ?? ''}`;
}

function alertMessage(entry: FeedEntry, opts: MessageOptions): NotifyMessage {
  const p = entry.payload;
  const cause = text(p, 'cause') ?? 'offline';
  const fault = faultLabel(cause, text(p, 'detail'));
  const group = p.alertKind === 'group';
  const count = num(p, 'cameraCount');
  const severity = SEVERITY_LABELS[entry.severity];
  const resolved = entry.kind === 'resolved';
  const dark = `${GROUP_NODE_LABELS[text(p, 'detail') ?? ''] ?? '成片'}${CAUSE_LABELS[cause] ?? cause}`;
  const what = group ? `${dark}${count === null ? '' : `：${count} 路摄像机`}` : fault;
  const title = resolved ? `【恢复】${what}已恢复` : `【${severity}告警】${group ? what : `摄像机${fault}`}`;
  const lines: NotifyMessage['lines'] = [];
  const add = (label: string, value: string | null) => {
    if (value !== null) lines.push({ label, value });
  };
  add('位置', placeOf(p));
  add('摄像机', group ? null : text(p, 'cameraName'));
  add('数量', group && count !== null ? `${count} 路` : null);
  add('故障', group ? `${dark}（站点或上联中断）` : fault);
  add('级别', severity);
  const openedAt = text(p, 'openedAt');
  if (resolved) {
    add('发生时间', openedAt ? countyTime(new Date(openedAt), opts.timeZone) : null);
    add('恢复时间', countyTime(entry.at, opts.timeZone));
  } else {
    add('时间', countyTime(openedAt ? new Date(openedAt) : entry.at, opts.timeZone));
  }
  return {
    title,
    lines,
    link: consoleLink(opts.consoleUrl, 'alerts', entry.alertId ?? num(p, 'alertId')),
    tone: resolved ? 'recovered' : 'alarm',
  };
}

function ticketMessage(entry: FeedEntry, opts: MessageOptions): NotifyMessage {
  const p = entry.payload;
  const id = entry.ticketId ?? num(p, 'ticketId');
  const priority = text(p, 'priority') ?? '';
  const title =
    entry.kind === 'ticket_escalated'
      ? `【工单超时升级】${priority} 工单 #${id} 已超过处理时限`
      : `【运维工单】${priority} ${p.reopened === true ? '工单重新打开' : '新工单'} #${id}`;
  const lines: NotifyMessage['lines'] = [];
  const add = (label: string, value: string | null) => {
    if (value !== null) lines.push({ label, value });
  };
  add('位置', placeOf(p));
  add('摄像机', text(p, 'cameraName'));
  add('故障', faultLabel(text(p, 'cause') ?? 'offline', text(p, 'detail')));
  add('优先级', priority || null);
  const due = text(p, 'slaDueAt');
  add('处理时限', due ? countyTime(new Date(due), opts.timeZone) : null);
  add('时间', countyTime(entry.at, opts.timeZone));
  return {
    title,
    lines,
    link: consoleLink(opts.consoleUrl, 'tickets', id),
    tone: entry.kind === 'ticket_escalated' ? 'alarm' : 'notice',
  };
}

export function plainText(m: NotifyMessage): string {
  return [m.title, ...m.lines.map((l) => `${l.label}：${l.value}`), `详情：${m.link}`, SIGNATURE_LINE].join(
    '\n',
  );
}

export function dingtalkMarkdown(m: NotifyMessage): { title: string; text: string } {
  // DingTalk's markdown joins single newlines; list items and blank lines keep the lines apart.
  const body = [
    `### ${m.title}`,
    '',
    ...m.lines.map((l) => `- **${l.label}**：${l.value}`),
    '',
    `[在控制台查看](${m.link})`,
    '',
    `> ${SIGNATURE_LINE}`,
  ].join('\n');
  return { title: m.title, text: body };
}

const WECOM_COLOUR: Record<NotifyMessage['tone'], string> = {
  alarm: 'warning',
  notice: 'comment',
  recovered: 'info',
};

export function wecomMarkdown(m: NotifyMessage): string {
  const body = [
    `**<font color="${WECOM_COLOUR[m.tone]}">${m.title}</font>**`,
    ...m.lines.map((l) => `> ${l.label}：<font color="comment">${l.value}</font>`),
    `[在控制台查看](${m.link})`,
    SIGNATURE_LINE,
  ].join('\n');
  return truncateUtf8(body, WECOM_MAX_BYTES);
}

/** At most `maxBytes` of UTF-8, cut at a character boundary. */
export function truncateUtf8(s: string, maxBytes: number): string {
  if (Buffer.byteLength(s, 'utf8') <= maxBytes) return s;
  let out = '';
  let bytes = 0;
  for (const ch of s) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (bytes + n > maxBytes - 3) break;
    out += ch;
    bytes += n;
  }
  return `${out}…`;
}

/** Hex HMAC-SHA256 of "<timestamp>.<body>", as sent in X-Xueliang-Signature after "sha256=". */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** DingTalk 加签: base64 HmacSHA256 of timestamp + "\n" + secret, keyed with the secret; URL-encode it for the query. */
export function dingtalkSign(secret: string, timestampMs: number): string {
  return createHmac('sha256', secret).update(`${timestampMs}\n${secret}`).digest('base64');
}

export interface RequestContext extends MessageOptions {
  /** the same on every attempt of one notification (feed entry and route) */
  deliveryId: string;
  nowMs: number;
}

export function webhookBody(entry: FeedEntry, m: NotifyMessage): Record<string, unknown> {
  const ticket = TICKET_KINDS.includes(entry.kind);
  return {
    feedId: entry.id,
    event: entry.kind,
    at: entry.at.toISOString(),
    severity: entry.severity,
    subject: ticket ? { type: 'ticket', id: entry.ticketId } : { type: 'alert', id: entry.alertId },
    title: m.title,
    text: plainText(m),
    link: m.link,
    data: entry.payload,
  };
}

/** The request that delivers `entry` on `channel` to `target`. */
export function buildRequest(
  channel: Channel,
  target: RouteTarget,
  entry: FeedEntry,
  ctx: RequestContext,
): OutboundRequest {
  const m = composeMessage(entry, ctx);
  const json = { 'content-type': 'application/json; charset=utf-8' };
  switch (channel) {
    case 'webhook': {
      const body = JSON.stringify(webhookBody(entry, m));
      const timestamp = String(Math.floor(ctx.nowMs / 1000));
      const headers: Record<string, string> = {
        ...json,
        'x-xueliang-delivery': ctx.deliveryId,
        'x-xueliang-timestamp': timestamp,
      };
      if (target.secret) {
        headers['x-xueliang-signature'] = `sha256=${webhookSignature(target.secret, timestamp, body)}`;
      }
      return { url: target.url, headers, body };
    }
    case 'dingtalk': {
      const body = JSON.stringify({ msgtype: 'markdown', markdown: dingtalkMarkdown(m) });
      let url = target.url;
      if (target.secret) {
        const sign = encodeURIComponent(dingtalkSign(target.secret, ctx.nowMs));
        url = `${url}${url.includes('?') ? '&' : '?'}timestamp=${ctx.nowMs}&sign=${sign}`;
      }
      return { url, headers: json, body };
    }
    case 'wecom': {
      const body = JSON.stringify({ msgtype: 'markdown', markdown: { content: wecomMarkdown(m) } });
      return { url: target.url, headers: json, body };
    }
  }
}

/** Both robots answer HTTP 200 with {errcode, errmsg}; anything but errcode 0 failed. */
export function robotAccepted(channel: Channel, replyBody: string): { ok: boolean; reason: string } {
  if (channel === 'webhook') return { ok: true, reason: '' };
  try {
    const reply = JSON.parse(replyBody) as { errcode?: unknown; errmsg?: unknown };
    if (reply.errcode === 0) return { ok: true, reason: '' };
    return {
      ok: false,
      reason: `errcode ${String(reply.errcode)}: ${String(reply.errmsg ?? '').slice(0, 200)}`,
    };
  } catch {
    return { ok: false, reason: 'reply is not the robot JSON {errcode, errmsg}' };
  }
}
