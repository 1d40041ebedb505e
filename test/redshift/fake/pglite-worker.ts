/** Worker thread body of {@link PgliteSession}: one in-memory PGlite, one request at a time. */
import { PGlite, types, type Results } from '@electric-sql/pglite';
import { parentPort } from 'node:worker_threads';
import type { SessionRequest, SessionResponse, SessionResult } from './pglite-session';

const port = parentPort!;

/** Every type keeps Postgres' text output: the fake maps text to Data API fields itself. */
const keepText = Object.fromEntries(Object.keys(types.parsers).map((oid) => [oid, (text: string) => text]));

function toResult(results: Results<unknown[]>): SessionResult {
  return {
    fields: results.fields.map((field) => ({ name: field.name, dataTypeID: field.dataTypeID })),
    rows: results.rows as (string | null)[][],
    affectedRows: results.affectedRows ?? 0,
  };
}

const database = PGlite.create();
let queue = Promise.resolve();

port.on('message', (request: SessionRequest) => {
  queue = queue.then(async () => {
    let response: SessionResponse;
    try {
      const db = await database;
      switch (request.kind) {
        case 'query':
          response = {
            id: request.id,
            ok: true,
            result: toResult(
              await db.query<unknown[]>(request.sql, request.parameters, {
                rowMode: 'array',
                parsers: keepText,
              }),
            ),
          };
          break;
        case 'exec': {
          const results = await db.exec(request.sql, { rowMode: 'array', parsers: keepText });
          const last = results.at(-1);
          response = {
            id: request.id,
            ok: true,
            result: last ? toResult(last as Results<unknown[]>) : { fields: [], rows: [], affectedRows: 0 },
          };
          break;
        }
        case 'close':
          await db.close();
          response = { id: request.id, ok: true, result: { fields: [], rows: [], affectedRows: 0 } };
          break;
      }
    } catch (error: unknown) {
      response = {
        id: request.id,
        ok: false,
        message: error instanceof Error ? error.message : String(error),
      };
    }
    port.postMessage(response);
  });
});
