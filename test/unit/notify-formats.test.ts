import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { FeedEntry } from '../../src/alerting/feed-repo.js';
import {
  buildRequest,
  composeMessage,
  countyTime,
  dingtalkSign,
  plainText,
  robotAccepted,
  truncateUtf8,
  webhookSignature,
  wecomMarkdown,
} from '../../src/notify/formats.js';

const OPTS = { consoleUrl: 'https://console.example.cn/', timeZone: 'Asia/Shanghai' };
const PATH = ['彭阳县', '白阳镇', '城关警务区', '南门村', '南门村口'];

function entry(over: Partial<FeedEntry> & { payload?: Record<string, unknown> }): FeedEntry {
  return {
    id: 41,
    alertId: 7,
    ticketId: null,
    kind: 'opened',
    at: new Date('2024-05-01T06:03:05Z'),
    actor: null,
    ancestors: [],
    severity: 'critical',
    ...over,
    payload: {
      alertId: 7,
      alertKind: 'camera',
      cause: 'offline',
      severity: 'critical',
      status: 'open',
      detail: null,
      cameraId: 'c1',
      cameraName: '南门村口1号枪机',
      cameraCount: null,
      groupId: null,
      placeId: 'p1',
      placePath: PATH,
      openedAt: '2024-05-01T06:02:00Z',
      ...over.payload,
    },
  };
}

const ticket = (kind: 'ticket_opened' | 'ticket_escalated', extra: Record<string, unknown> = {}) =>
  entry({
    kind,
    alertId: null,
    ticketId: 12,
    severity: 'major',
    payload: {
      ticketId: 12,
      contractorId: 'k1',
      cameraId: 'c1',
      cameraName: '南门村口1号枪机',
      placeId: 'p1',
      placePath: PATH,
      cause: 'picture',
      detail: 'black',
      priority: 'P2',
      slaDueAt: '2024-05-02T06:00:00Z',
      status: 'open',
      ...extra,
    },
  });

describe('notification messages', () => {
  it('writes the county time, not UTC', () => {
    expect(countyTime(new Date('2024-05-01T16:30:00Z'), 'Asia/Shanghai')).toBe('2024-05-02 00:30:00');
  });

  it('names the place path, the camera, the fault, the time and links to the alert', () => {
    const text = plainText(composeMessage(entry({}), OPTS));
    expect(text).toContain('【严重告警】摄像机离线');
    expect(text).toContain('位置：彭阳县 / 白阳镇 / 城关警务区 / 南门村 / 南门村口');
    expect(text).toContain('摄像机：南门村口1号枪机');
    expect(text).toContain('时间：2024-05-01 14:02:00');
    expect(text).toContain('详情：https://console.example.cn/#/alerts/7');
  });

  it('labels a picture fault with its kind', () => {
    const m = composeMessage(
      entry({ severity: 'major', payload: { cause: 'picture', detail: 'frozen' } }),
      OPTS,
    );
    expect(m.title).toBe('【重要告警】摄像机画面异常（画面冻结）');
  });

  it('gives a group alert its count instead of a camera', () => {
    const m = composeMessage(
      entry({
        kind: 'grouped',
        payload: {
          alertKind: 'group',
          detail: 'site_down',
          cameraId: null,
          cameraName: null,
          cameraCount: 40,
        },
      }),
      OPTS,
    );
    expect(m.title).toBe('【严重告警】站点整体离线：40 路摄像机');
    expect(m.lines.find((l) => l.label === '故障')?.value).toBe('站点整体离线（站点或上联中断）');
    expect(m.lines.find((l) => l.label === '数量')?.value).toBe('40 路');
    expect(m.lines.some((l) => l.label === '摄像机')).toBe(false);
  });

  it('tells a recovery with both times', () => {
    const m = composeMessage(entry({ kind: 'resolved', at: new Date('2024-05-01T07:00:00Z') }), OPTS);
    expect(m.title).toBe('【恢复】离线已恢复');
    expect(plainText(m)).toContain('发生时间：2024-05-01 14:02:00');
    expect(plainText(m)).toContain('恢复时间：2024-05-01 15:00:00');
  });

  it('writes tickets with priority, deadline and a ticket link', () => {
    const opened = plainText(composeMessage(ticket('ticket_opened'), OPTS));
    expect(opened).toContain('【运维工单】P2 新工单 #12');
    expect(opened).toContain('处理时限：2024-05-02 14:00:00');
    expect(opened).toContain('https://console.example.cn/#/tickets/12');
    expect(composeMessage(ticket('ticket_opened', { reopened: true }), OPTS).title).toContain('工单重新打开');
    expect(composeMessage(ticket('ticket_escalated'), OPTS).title).toBe(
      '【工单超时升级】P2 工单 #12 已超过处理时限',
    );
  });
});

describe('channel requests', () => {
  const ctx = { ...OPTS, deliveryId: '41.r1', nowMs: 1_714_543_385_123 };

  it('signs the generic webhook with HMAC-SHA256 of "<timestamp>.<body>"', () => {
    const secret = 'webhook-secret-0123456789';
    const req = buildRequest('webhook', { url: 'https://hook.example/x', secret }, entry({}), ctx);
    expect(req.headers['x-xueliang-timestamp']).toBe('1714543385');
    const expected = createHmac('sha256', secret).update(`1714543385.${req.body}`).digest('hex');
    expect(req.headers['x-xueliang-signature']).toBe(`sha256=${expected}`);
    expect(req.headers['x-xueliang-delivery']).toBe('41.r1');
    const body = JSON.parse(req.body);
    expect(body).toMatchObject({ feedId: 41, event: 'opened', subject: { type: 'alert', id: 7 } });
    expect(body.text).toContain('南门村口1号枪机');
    // a changed body no longer verifies
    expect(webhookSignature(secret, '1714543385', `${req.body} `)).not.toBe(expected);
  });

  it('signs DingTalk as its documentation says (its sample secret, checked value)', () => {
    // 'this is secret' is the documentation's sample secret; the expected signature for timestamp 1577262236757
    // is the one an independent implementation's tests hold. Its '+' must be percent-encoded in the query.
    expect(dingtalkSign('this is secret', 1_577_262_236_757)).toBe(
      'hmPWwU+7lVdm3ZZz0r9tSfx0L4Q26jWOZr9+Gs6EZQM=',
    );
    const req = buildRequest(
      'dingtalk',
      { url: 'https://oapi.dingtalk.com/robot/send?access_token=abc', secret: 'this is secret' },
      entry({}),
      { ...ctx, nowMs: 1_577_262_236_757 },
    );
    expect(req.url).toBe(
      'https://oapi.dingtalk.com/robot/send?access_token=abc&timestamp=1577262236757' +
        '&sign=hmPWwU%2B7lVdm3ZZz0r9tSfx0L4Q26jWOZr9%2BGs6EZQM%3D',
    );
    const body = JSON.parse(req.body);
    expect(body.msgtype).toBe('markdown');
    expect(body.markdown.title).toBe('【严重告警】摄像机离线');
    expect(body.markdown.text).toContain('- **摄像机**：南门村口1号枪机');
    expect(body.markdown.text).toContain('[在控制台查看](https://console.example.cn/#/alerts/7)');
  });

  it('leaves an unsigned DingTalk URL as it is', () => {
    const url = 'https://oapi.dingtalk.com/robot/send?access_token=abc';
    expect(buildRequest('dingtalk', { url, secret: null }, entry({}), ctx).url).toBe(url);
  });

  it('sends WeCom markdown content with its URL untouched (no signature exists)', () => {
    const url = 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx';
    const req = buildRequest('wecom', { url, secret: null }, entry({}), ctx);
    expect(req.url).toBe(url);
    const body = JSON.parse(req.body);
    expect(body.msgtype).toBe('markdown');
    expect(body.markdown.content).toContain('<font color="warning">【严重告警】摄像机离线</font>');
    expect(body.markdown.content).toContain('> 摄像机：<font color="comment">南门村口1号枪机</font>');
    expect(Object.keys(req.headers)).toEqual(['content-type']);
  });

  it('keeps WeCom content within 4096 bytes of UTF-8', () => {
    const long = entry({ payload: { placePath: Array.from({ length: 30 }, () => '很长的地名'.repeat(10)) } });
    const content = wecomMarkdown(composeMessage(long, OPTS));
    expect(Buffer.byteLength(content, 'utf8')).toBeLessThanOrEqual(4096);
    expect(truncateUtf8('雪亮雪亮', 7)).toBe('雪…');
  });

  it('reads the robots’ errcode replies', () => {
    expect(robotAccepted('dingtalk', '{"errcode":0,"errmsg":"ok"}').ok).toBe(true);
    expect(robotAccepted('dingtalk', '{"errcode":310000,"errmsg":"sign not match"}')).toEqual({
      ok: false,
      reason: 'errcode 310000: sign not match',
    });
    expect(robotAccepted('wecom', 'not json').ok).toBe(false);
    expect(robotAccepted('webhook', '').ok).toBe(true);
  });
});
