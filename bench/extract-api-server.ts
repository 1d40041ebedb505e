/**
 * Child process of bench/extract.ts: serves the simulated DeFtunes API (no songs database) at the given
 * scale and prints `{"apiUrl": ...}` on stdout once listening, so the API's memory and CPU are not the
 * extractor's. Exits when stdin closes.
 *
 * Each body is generated once by the simulator and then served from memory: generating a day of sessions
 * costs more than reading it, and the benchmark measures the reader. The first request for a URL (the
 * warm-up) pays the generation; every later one is served at the speed of the loopback.
 *
 *   node --import tsx bench/extract-api-server.ts <scale> <seed> <badRecordRate>
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SimulatedWorld } from '../lib/local/simulator';
import { startApiServer } from '../lib/local/simulator/api-server';

async function main(): Promise<void> {
  const [scale = '1000', seed = '42', badRecordRate = '0.02'] = process.argv.slice(2);
  const world = new SimulatedWorld({ scale, seed: Number(seed), badRecordRate: Number(badRecordRate) });
  const api = await startApiServer({ world, faultRate: 0, slowResponseMs: 0, host: '127.0.0.1', port: 0 });
  const bodies = new Map<string, Promise<{ status: number; type: string; body: Buffer }>>();
  const generated = (url: string) => {
    let body = bodies.get(url);
    if (!body) {
      body = fetch(`${api.url}${url}`).then(async (response) => ({
        status: response.status,
        type: response.headers.get('content-type') ?? 'application/json',
        body: Buffer.from(await response.arrayBuffer()),
      }));
      bodies.set(url, body);
    }
    return body;
  };
  const server = createServer((request, response) => {
    generated(request.url ?? '/').then(
      ({ status, type, body }) => {
        response.writeHead(status, { 'content-type': type, 'content-length': body.length });
        response.end(body);
      },
      (error: unknown) => {
        response.writeHead(502);
        response.end(String(error));
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ apiUrl: `http://127.0.0.1:${port}` })}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => {
    server.close();
    void api.close().then(() => process.exit(0));
  });
}

void main();
