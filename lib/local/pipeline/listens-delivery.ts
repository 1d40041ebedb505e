/**
 * The local runner's Firehose (docs/listening-events.md, Local): before it runs a date D, the runner
 * delivers the listening events of the simulator's world into the landing zone, up to the end of D's
 * window (`D+1 00:00 + latenessHours`), or up to `--listens-delivered-until` when that is earlier (a run
 * that happens before the late events arrive). Delivery starts at D's window start and skips the objects
 * already there, so each date adds only its new arrival hours and a run of many dates stays linear.
 */
import { deliverListens, type DeliveryReport, type SimulatedWorld } from '../simulator';
import type { ObjectStore } from '../../../lambdas/shared/object-store';
import { localEnvironmentConfig } from '../run-date-bounds';
import type { LocalServices } from './local-services';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** What Firehose has delivered by the time the run of `runDate` starts: [from, until). */
export function listensDeliveryWindow(
  runDate: string,
  latenessHours: number,
  deliveredUntil?: string,
): { from: number; until: number } {
  const from = Date.parse(`${runDate}T00:00:00Z`);
  const windowEnd = from + DAY_MS + latenessHours * HOUR_MS;
  const until = deliveredUntil === undefined ? windowEnd : Math.min(windowEnd, Date.parse(deliveredUntil));
  return { from, until };
}

export interface ListensDeliveryContext {
  /** The simulator's world, when the runner started the simulator; undefined when every source is a URL. */
  readonly world: SimulatedWorld | undefined;
  readonly landing: ObjectStore;
  /** cdk.json's `stream.latenessHours`. */
  readonly latenessHours: number;
  /** `--listens-delivered-until` (ISO time). @default the end of each date's window */
  readonly deliveredUntil?: string;
  readonly note: (message: string) => void;
}

/** Delivers the listens `runDate`'s run reads (see the module comment); says what it did in a note. */
export async function deliverListensBefore(
  runDate: string,
  context: ListensDeliveryContext,
): Promise<DeliveryReport | undefined> {
  if (!context.world) {
    context.note(
      'listening events: every source is given by URL, no simulator to play Firehose: none delivered',
    );
    return undefined;
  }
  const { from, until } = listensDeliveryWindow(runDate, context.latenessHours, context.deliveredUntil);
  if (until <= from) {
    context.note(
      `listening events for ${runDate}: none delivered (--listens-delivered-until is before the date)`,
    );
    return undefined;
  }
  const report = await deliverListens(context.world, context.landing, { from, until });
  context.note(
    `listening events for ${runDate}: delivered up to ${report.until}: ${report.written} new object(s), ` +
      `${report.lines} line(s), ${report.skipped} already there (${report.ms} ms)`,
  );
  return report;
}

/** The delivery context of a local run: its services' world and landing, cdk.json's lateness, its notes. */
export function localListensDelivery(
  services: LocalServices,
  options: {
    environment?: string;
    listensDeliveredUntil?: string;
    note?: (message: string) => void;
    apiUrl?: string;
    songsDbUrl?: string;
  },
): ListensDeliveryContext {
  const world = services.sources?.world;
  if (world && (options.apiUrl || options.songsDbUrl)) {
    // The plays name users and tracks of the runner's own simulator: against sources given by URL they are
    // meaningful only if those sources are a simulator of the same seed and scale (--seed, --scale).
    const message =
      `listening events come from the runner's simulator (seed ${world.seed}, scale ${world.scale.name}); ` +
      'with the API or the songs database given by URL they match only a simulator of the same seed and scale';
    services.log({ level: 'WARN', message });
    options.note?.(message);
  }
  return {
    world,
    landing: services.landing,
    latenessHours: localEnvironmentConfig(options.environment).stream.latenessHours,
    deliveredUntil: options.listensDeliveredUntil,
    note: (message) => {
      services.log({ level: 'INFO', message });
      options.note?.(message);
    },
  };
}
