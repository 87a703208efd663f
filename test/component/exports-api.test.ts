import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCountyFixture, type CountyFixture, PASSWORD } from '../support/county-fixture.js';
import { type AuthHeaders, login, startTestApi, type TestApi } from '../support/harness.js';

let api: TestApi;
let fx: CountyFixture;
const as: Record<string, AuthHeaders> = {};
const HOUR = 3_600_000;
const URL = '/api/v1/exports/incidents-cameras-down';

const q = (sql: string, values: unknown[] = []) => api.deps.db.query(sql, values);
const get = (who: string, query = '') =>
  api.app.inject({ method: 'GET', url: `${URL}${query}`, headers: as[who] as AuthHeaders });

beforeAll(async () => {
  api = await startTestApi();
  fx = await buildCountyFixture(api.deps.db);
  for (const user of ['bureau', 'dutya1', 'contractork1']) as[user] = await login(api.app, user, PASSWORD);
  // each incident (a day ago) linked to its branch's camera: A1 was offline then, A2 online, B1 unrecorded
  for (const b of ['A1', 'A2', 'B1'] as const)
    await q('INSERT INTO incident_cameras (incident_id, camera_id) VALUES ($1, $2)', [
      fx.incident[b],
      fx.camera[b],
    ]);
  const { rows } = await q('SELECT occurred_at FROM incidents WHERE id = $1', [fx.incident.A1]);
  const at = (rows[0] as { occurred_at: Date }).occurred_at.getTime();
  for (const [camera, from, to, state, reason] of [
    [fx.camera.A1, at - 5 * HOUR, at - 2 * HOUR, 'online', null],
    [fx.camera.A1, at - 2 * HOUR, at + HOUR, 'offline', 'network'],
    [fx.camera.A1, at + HOUR, null, 'online', null],
    [fx.camera.A2, at - 5 * HOUR, null, 'online', null],
  ] as const)
    await q(
      'INSERT INTO state_intervals (camera_id, from_at, to_at, state, reason) VALUES ($1, $2, $3, $4, $5)',
      [camera, new Date(from), to === null ? null : new Date(to), state, reason],
    );
});
afterAll(() => api.close());

describe('incidents whose cameras were down', () => {
  it('lists, per incident, each linked camera not effective at the time, with its state', async () => {
    const res = await get('bureau');
    expect(res.statusCode, res.body).toBe(200);
    const rows = res.json().rows as Record<string, unknown>[];
    expect(rows.map((r) => [r.title, r.cameraName, r.state, r.reason])).toEqual(
      expect.arrayContaining([
        ['纠纷A1', '摄像机A1', 'offline', 'network'],
        ['纠纷B1', '摄像机B1', 'unknown', null],
      ]),
    );
    expect(rows).toHaveLength(2);
    expect(rows.find((r) => r.cameraName === '摄像机A1')?.place).toBe('节点A1v');
  });

  it('keeps to the caller’s scope and window', async () => {
    const duty = await get('dutya1');
    expect(duty.json().rows.map((r: { title: string }) => r.title)).toEqual(['纠纷A1']);
    expect((await get('contractork1')).statusCode).toBe(403);
    const old = new Date(Date.now() - 90 * 24 * HOUR).toISOString();
    const before = new Date(Date.now() - 80 * 24 * HOUR).toISOString();
    expect((await get('bureau', `?from=${old}&to=${before}`)).json().rows).toEqual([]);
    expect((await get('bureau', `?from=${before}&to=${old}`)).statusCode).toBe(400);
  });

  it('gives the same rows as CSV and XLSX files', async () => {
    const json = (await get('bureau')).json().rows as Record<string, string | null>[];
    const csv = await get('bureau', '?format=csv');
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.headers['content-disposition']).toMatch(
      /attachment; filename="incidents-cameras-down-.*\.csv"/,
    );
    const lines = csv.body
      .replace(/^\uFEFF/, '')
      .trimEnd()
      .split('\r\n');
    expect(lines[0]).toBe('发生时间,类型,警情,地点,摄像机,当时状态,原因,故障开始,故障结束');
    expect(lines.slice(1).map((l) => l.split(',')[4])).toEqual(json.map((r) => r.cameraName));

    const xlsx = await get('bureau', '?format=xlsx');
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
    const sheet = book.worksheets[0] as ExcelJS.Worksheet;
    expect(sheet.rowCount).toBe(json.length + 1);
    json.forEach((r, i) => {
      const row = sheet.getRow(i + 2);
      expect(row.getCell(3).value).toBe(r.title);
      expect(row.getCell(5).value).toBe(r.cameraName);
      expect(row.getCell(6).value).toBe(r.state);
      expect((row.getCell(1).value as Date).toISOString()).toBe(r.occurredAt);
    });
  });
});
