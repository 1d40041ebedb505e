import { startApiServer, type ApiServer } from '../../lib/local/simulator/api-server';
import { REQUEST_FAULT_KINDS, SimulatedWorld, startSources } from '../../lib/local/simulator';
import type { FaultLogEntry } from '../../lib/local/simulator/faults';
import { rawGet, type RawResponse } from './http-helpers';

const PATH = '/sessions?start_date=2020-02-01&end_date=2020-02-01';

type Observed = 'http_500' | 'http_503' | 'http_429' | 'reset_before_body' | 'reset_mid_body' | 'ok';

/** What a client can tell from the outside; a slow response is an ok one that came late. */
function classify(response: RawResponse, fullBody: string): Observed {
  if (response.error) return 'reset_before_body';
  if (response.status === 200 && !response.complete) {
    // A truncated body is the start of the real one, never something else.
    expect(fullBody.startsWith(response.body)).toBe(true);
    expect(response.body.startsWith('[')).toBe(true);
    return 'reset_mid_body';
  }
  if (response.status === 200) {
    expect(response.body).toBe(fullBody);
    return 'ok';
  }
  if (response.status === 429) expect(response.retryAfter).toBe('1');
  return `http_${response.status}` as Observed;
}

async function runRequests(server: ApiServer, count: number, fullBody: string): Promise<Observed[]> {
  const observed: Observed[] = [];
  for (let i = 0; i < count; i++) observed.push(classify(await rawGet(`${server.url}${PATH}`), fullBody));
  return observed;
}

describe('request faults', () => {
  const rate = 0.4;
  const requests = 150;
  const world = new SimulatedWorld({ seed: 13 });
  const fullBody = JSON.stringify([...world.servedSessions(18293, 18293)].flatMap((s) => s.records));
  const servers: ApiServer[] = [];
  const start = async (faultRate: number) => {
    const server = await startApiServer({ world, faultRate, slowResponseMs: 20, host: '127.0.0.1', port: 0 });
    servers.push(server);
    return server;
  };
  afterAll(() => Promise.all(servers.map((server) => server.close())));

  it('fails the requested fraction of requests in every kind, as the client sees it', async () => {
    const server = await start(rate);
    const observed = await runRequests(server, requests, fullBody);
    const report = server.faults.report();
    expect(report.requests).toBe(requests);
    const faulted = Object.values(report.faults).reduce((a, b) => a + b, 0);
    // Binomial: 4 standard deviations of the fraction over 150 requests is about 0.16.
    expect(Math.abs(faulted / requests - rate)).toBeLessThan(0.16);
    expect(Object.keys(report.faults).sort()).toEqual([...REQUEST_FAULT_KINDS].sort());
    // Every fault the server injected is what the client observed, request by request.
    const expected = report.log.map((entry: FaultLogEntry) =>
      entry.fault === null || entry.fault === 'slow' ? 'ok' : entry.fault,
    );
    expect(observed).toEqual(expected);
  });

  it('repeats the same faults for the same seed and request order', async () => {
    const first = await start(rate);
    const second = await start(rate);
    const a = await runRequests(first, 40, fullBody);
    const b = await runRequests(second, 40, fullBody);
    expect(a).toEqual(b);
    expect(first.faults.report().log.map((e) => e.fault)).toEqual(
      second.faults.report().log.map((e) => e.fault),
    );
  });

  it('never faults /_truth, and keeps records independent of request faults', async () => {
    const server = await start(1);
    for (let i = 0; i < 10; i++)
      expect((await rawGet(`${server.url}/_truth?date=2020-02-01`)).status).toBe(200);
    expect(server.faults.report().requests).toBe(0);
    // At rate 1 every request faults; only the slow ones end with the full, correct body.
    const observed = await runRequests(server, 30, fullBody);
    const report = server.faults.report();
    expect(Object.values(report.faults).reduce((a, b) => a + b, 0)).toBe(30);
    expect(observed.filter((kind) => kind === 'ok').length).toBe(report.faults.slow ?? 0);
  });

  it('is reachable through startSources options and validates them', async () => {
    await expect(startSources({ faultRate: 1.5 })).rejects.toThrow(
      'fault rate must be a number in [0, 1]; got 1.5',
    );
    await expect(startSources({ badRecordRate: -0.1 })).rejects.toThrow(
      'bad record rate must be a number in [0, 1]',
    );
    await expect(startSources({ scale: 'huge' })).rejects.toThrow(/scale must be one of/);
    await expect(startSources({ port: 70000 })).rejects.toThrow(/port must be an integer in \[0, 65535\]/);
  });
});
