/** examples/iot-alerts.ts over a real socket: window averages, silence alerts and bad lines. */
import { afterAll, expect, test } from 'vitest';
import { lines, removeTempDirs, runCli, startServer } from '../helpers.ts';

afterAll(removeTempDirs);

test('iot-alerts prints per-minute averages, alerts on 30 s of silence, reports bad lines on stderr', async () => {
  const t0 = Date.UTC(2026, 0, 1, 12, 0, 0);
  const readings = [
    { sensor: 's1', value: 20, ts: t0 + 1000 },
    { sensor: 's2', value: 10, ts: t0 + 2000 },
    'not json',
    { sensor: 's1', value: 22, ts: t0 + 30_000 },
    { sensor: 's1', value: 21, ts: t0 + 29_000 }, // out of order, within 5 s
    { sensor: 's1', value: 30, ts: t0 + 61_000 }, // 31 s after the last one
    { sensor: 's1', value: 31, ts: t0 + 80_000 },
  ];
  const server = await startServer((socket) => socket.end(readings.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n'));
  try {
    const r = await runCli(['run', 'examples/iot-alerts.ts', '--host', '127.0.0.1', '--port', String(server.port)]);
    expect(r.code).toBe(0);
    expect(lines(r.stdout).sort()).toEqual(
      [
        'avg sensor=s1 window=[2026-01-01T12:00:00Z,2026-01-01T12:01:00Z) avg=21.00 n=3',
        'avg sensor=s2 window=[2026-01-01T12:00:00Z,2026-01-01T12:01:00Z) avg=10.00 n=1',
        'avg sensor=s1 window=[2026-01-01T12:01:00Z,2026-01-01T12:02:00Z) avg=30.50 n=2',
        'ALERT sensor=s1 silent from 2026-01-01T12:00:30Z until 2026-01-01T12:01:01Z',
        // the end of input moves event time to +inf: the last silences are reported
        'ALERT sensor=s2 silent since 2026-01-01T12:00:02Z (30 s)',
        'ALERT sensor=s1 silent since 2026-01-01T12:01:20Z (30 s)',
      ].sort(),
    );
    expect(r.stderr).toContain('invalid reading "not json"');
  } finally {
    await server.close();
  }
});
