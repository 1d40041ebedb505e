/**
 * Child process of bench/extract.ts: serves the simulated DeFtunes API (no songs database) at the given
 * scale and prints `{"apiUrl": ...}` on stdout once listening, so the API's memory and CPU are not the
 * extractor's. Exits when stdin closes.
 *
 *   node --import tsx bench/extract-api-server.ts <scale> <seed> <badRecordRate>
 */
import { SimulatedWorld } from '../lib/local/simulator';
import { startApiServer } from '../lib/local/simulator/api-server';

async function main(): Promise<void> {
  const [scale = '1000', seed = '42', badRecordRate = '0.02'] = process.argv.slice(2);
  const world = new SimulatedWorld({ scale, seed: Number(seed), badRecordRate: Number(badRecordRate) });
  const api = await startApiServer({ world, faultRate: 0, slowResponseMs: 0, host: '127.0.0.1', port: 0 });
  process.stdout.write(`${JSON.stringify({ apiUrl: api.url })}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => void api.close().then(() => process.exit(0)));
}

void main();
