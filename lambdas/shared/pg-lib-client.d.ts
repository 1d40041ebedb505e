/**
 * `pg/lib/client`: node-postgres' Client class, the very class `pg` exports (pg's package exports
 * `./lib/*`; pg-cursor imports pg's lib modules the same way). @types/pg types only the package root.
 */
declare module 'pg/lib/client' {
  import { Client } from 'pg';
  export = Client;
}
