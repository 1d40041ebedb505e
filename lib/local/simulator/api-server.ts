/**
 * The DeFtunes API simulator over node:http. Bodies are JSON arrays streamed as they are generated (a day
 * at `large` scale is far bigger than what should sit in memory), with backpressure.
 *
 * Routes: `GET /sessions?start_date&end_date`, `GET /users?start_date&end_date` (the contract in
 * docs/design.md), `GET /_truth?date` (ground truth of a day), `GET /_truth/listens?date&lateness_hours` (the
 * listening events' truth, see listens-truth.ts), `GET /_faults` (request faults so far).
 * Request faults apply to `/sessions` and `/users` only. The enrichment APIs (concerts, artist statistics)
 * and their truth are served by enrichment-routes.ts, with their own key, rate limit and faults.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { EnrichmentRoutes, type EnrichmentServerOptions } from './enrichment-routes';
import { FaultInjector, type RequestFault } from './faults';
import { DAY_MS, InvalidDateError, formatDay, parseDay } from './time';
import type { SimulatedWorld } from './world';

export interface ApiServerOptions {
  world: SimulatedWorld;
  /** Fraction of `/sessions` and `/users` requests that fail, in [0, 1]. */
  faultRate: number;
  /** Delay of a `slow` fault. */
  slowResponseMs: number;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** The concerts and artist-statistics APIs' key, rate limit and faults. @default their defaults */
  enrichment?: EnrichmentServerOptions;
}

export interface ApiServer {
  url: string;
  port: number;
  faults: FaultInjector;
  enrichment: EnrichmentRoutes;
  close(): Promise<void>;
}

const CHUNK_CHARS = 64 * 1024;

class BadRequest extends Error {}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const faults = new FaultInjector(options.world.seed, options.faultRate);
  const enrichment = new EnrichmentRoutes(options.world.enrichment, options.world.seed, {
    slowResponseMs: options.slowResponseMs,
    ...options.enrichment,
  });
  const server = createServer((req, res) => {
    handle(req, res, options, faults, enrichment).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: `simulator error: ${String(error)}` });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  await listen(server, options.port, options.host, 'API simulator');
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${options.host}:${port}`,
    port,
    faults,
    enrichment,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Listens, turning "address in use" into an error that names the port. */
export async function listen(
  server: Server | import('node:net').Server,
  port: number,
  host: string,
  what: string,
) {
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(
              `${what}: port ${port} on ${host} is already in use; choose another port (0 picks a free one)`,
            )
          : new Error(`${what}: cannot listen on ${host}:${port}: ${error.message}`),
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  options: ApiServerOptions,
  faults: FaultInjector,
  enrichment: EnrichmentRoutes,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://simulator');
  if (req.method !== 'GET') return sendJson(res, 405, { error: `method ${req.method} not allowed; use GET` });
  if (enrichment.handles(url.pathname)) return enrichment.handle(res, url);
  const { world } = options;
  try {
    switch (url.pathname) {
      case '/sessions':
      case '/users': {
        const fault = faults.next(url.pathname);
        if (fault && (await injectFault(fault, req, res, options))) return;
        const startDay = parseDay(url.searchParams.get('start_date'), 'start_date');
        const endDay = parseDay(url.searchParams.get('end_date'), 'end_date');
        if (startDay > endDay) {
          throw new BadRequest(`start_date ${formatDay(startDay)} is after end_date ${formatDay(endDay)}`);
        }
        const served =
          url.pathname === '/sessions'
            ? world.servedSessions(startDay, endDay)
            : world.servedUsers(startDay, endDay);
        const records = (function* () {
          for (const one of served) yield* one.records;
        })();
        return await streamJsonArray(
          res,
          records,
          fault?.kind === 'reset_mid_body' ? fault.recordsBeforeReset : undefined,
        );
      }
      case '/_truth':
        return sendJson(res, 200, world.truth(parseDay(url.searchParams.get('date'), 'date')));
      case '/_truth/listens':
        return sendJson(res, 200, listensTruthOf(world, url.searchParams));
      case '/_faults':
        return sendJson(res, 200, faults.report());
      case '/':
        return sendJson(res, 200, {
          service: 'DeFtunes API simulator',
          seed: world.seed,
          scale: world.scale,
          bad_record_rate: world.badRecordRate,
          fault_rate: options.faultRate,
          routes: [
            'GET /sessions?start_date=YYYY-MM-DD&end_date=YYYY-MM-DD',
            'GET /users?start_date=YYYY-MM-DD&end_date=YYYY-MM-DD',
            'GET /_truth?date=YYYY-MM-DD',
            'GET /_truth/listens?date=YYYY-MM-DD&lateness_hours=H[&delivered_until=ISO time]',
            'GET /_faults',
            'GET /discovery/v2/events.json?apikey&countryCode&startDateTime&endDateTime&page&size',
            'GET /2.0/?method=artist.getinfo|geo.gettopartists&api_key&format=json',
            'GET /_truth/concerts?run_date&countries=US,GB&horizon_days',
            'GET /_truth/artist_stats',
            'GET /_faults/enrichment',
          ],
        });
      default:
        return sendJson(res, 404, { error: `no route ${url.pathname}; try GET / for the list` });
    }
  } catch (error) {
    if (error instanceof BadRequest || error instanceof InvalidDateError) {
      return sendJson(res, 400, { error: error.message });
    }
    throw error;
  }
}

/**
 * The listening events' truth of `date` (world.listens.truth): `lateness_hours` is required (cdk.json's
 * `stream.latenessHours`: the simulator does not read the deployment's settings); `delivered_until`
 * defaults to the end of the date's window, when every play the run may count has arrived.
 */
function listensTruthOf(world: SimulatedWorld, params: URLSearchParams) {
  const date = params.get('date');
  const day = parseDay(date, 'date');
  const lateness = Number(params.get('lateness_hours') ?? NaN);
  if (!Number.isInteger(lateness) || lateness < 0 || lateness > 168) {
    throw new BadRequest(
      'lateness_hours is required: a whole number of hours in [0, 168] (stream.latenessHours)',
    );
  }
  const given = params.get('delivered_until');
  const deliveredUntil = given === null ? (day + 1) * DAY_MS + lateness * 3_600_000 : Date.parse(given);
  if (!Number.isFinite(deliveredUntil)) {
    throw new BadRequest(`delivered_until must be a time in ISO 8601; got ${JSON.stringify(given)}`);
  }
  return world.listens.truth(date!, { deliveredUntil, latenessHours: lateness });
}

/** Applies a fault; returns true when the request is finished (failed), false to serve it normally. */
async function injectFault(
  fault: RequestFault,
  req: IncomingMessage,
  res: ServerResponse,
  options: ApiServerOptions,
): Promise<boolean> {
  switch (fault.kind) {
    case 'http_500':
      sendJson(res, 500, { error: 'internal server error (injected fault)' });
      return true;
    case 'http_503':
      sendJson(res, 503, { error: 'service unavailable (injected fault)' });
      return true;
    case 'http_429':
      res.setHeader('retry-after', '1');
      sendJson(res, 429, { error: 'too many requests, retry after 1 second (injected fault)' });
      return true;
    case 'reset_before_body':
      req.socket.destroy();
      return true;
    case 'slow':
      await sleep(options.slowResponseMs);
      return false;
    case 'reset_mid_body':
      return false;
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * Writes `[r1,r2,...]` in chunks as records are generated, waiting for the socket to drain. With
 * `resetAfter`, the connection is destroyed once that many records (or all, if fewer) have been sent, so
 * the client sees a truncated body.
 */
async function streamJsonArray(
  res: ServerResponse,
  records: Iterable<unknown>,
  resetAfter?: number,
): Promise<void> {
  // The client may have gone already (e.g. during a slow-response delay): then generate nothing.
  let closed = res.destroyed || !res.socket || res.socket.destroyed;
  res.once('close', () => (closed = true));
  if (closed) return;
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
  let buffer = '[';
  let count = 0;
  for (const record of records) {
    if (resetAfter !== undefined && count >= resetAfter) break;
    buffer += (count === 0 ? '' : ',') + JSON.stringify(record);
    count++;
    if (buffer.length >= CHUNK_CHARS) {
      const flushed = res.write(buffer);
      buffer = '';
      if (!flushed) await drained(res);
      if (closed) return;
    }
  }
  if (resetAfter !== undefined) {
    if (buffer) res.write(buffer, () => res.destroy());
    else res.destroy();
    return;
  }
  res.end(`${buffer}]`);
}

/** Resolves when the response can take more data or is gone, leaving no listeners behind. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    if (res.destroyed) return resolve();
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
