/** Worker thread body of `startSongsDatabase`: serves the songs database until told to close. */
import { parentPort, workerData } from 'node:worker_threads';
import { serveSongsDatabase, type WorkerData, type WorkerMessage } from './songs-db';

const port = parentPort!;
const send = (message: WorkerMessage) => port.postMessage(message);

serveSongsDatabase(workerData as WorkerData).then(
  (database) => {
    port.on('message', (message: { type: string }) => {
      if (message.type !== 'close') return;
      void database.close().finally(() => {
        send({ type: 'closed' });
        port.close();
      });
    });
    send({ type: 'ready', url: database.url, port: database.port, load: database.load });
  },
  (error: unknown) => {
    send({ type: 'error', message: error instanceof Error ? error.message : String(error) });
    port.close();
  },
);
