/**
 * The local binding of TransformListens (docs/listening-events.md, Orchestration): the local Glue runs
 * transform_listens with the `--lateness_hours` the deployed job has as a default argument (cdk.json).
 */
import { parseEnvironments } from '../../lib/config';
import { readCdkJsonContext } from '../../lib/deftunes-app';
import type { LocalGlue } from '../../lib/local/pipeline/local-bindings';
import { glueStateBindings } from '../fixtures/glue-bindings';

const environments = () =>
  structuredClone(readCdkJsonContext()['deftunes:environments']) as Record<string, Record<string, unknown>>;

describe('TransformListens, locally', () => {
  const glueCalls = (latenessHours?: number) => {
    const calls: { job: string; args: Record<string, string> }[] = [];
    const glue: LocalGlue = {
      runJob: async (job, args) => {
        calls.push({ job, args });
        return { job };
      },
      listDataFiles: async (tables) => Object.fromEntries(tables.map((table) => [table, []])),
    };
    const bindings = glueStateBindings(glue, undefined, latenessHours);
    return { calls, bindings };
  };
  const request = { JobName: 'deployed-name', Arguments: { '--run_date': '2020-01-02' } };

  it("runs the local transform_listens with the deployed job's --lateness_hours (cdk.json dev)", async () => {
    const { calls, bindings } = glueCalls();
    const result = (await bindings.TransformListens(request)) as Record<string, unknown>;
    const [dev] = parseEnvironments(environments());
    expect(calls).toEqual([
      {
        job: 'transform_listens',
        args: {
          run_date: '2020-01-02',
          lateness_hours: String(dev.stream.latenessHours),
          landing_path: '/data/landing',
          warehouse_path: '/data/transform/warehouse',
        },
      },
    ]);
    expect(result).toMatchObject({ JobName: 'deployed-name', JobRunState: 'SUCCEEDED' });
  });

  it('passes the lateness it is given, and to no other job', async () => {
    const { calls, bindings } = glueCalls(3);
    await bindings.TransformListens(request);
    await bindings.TransformApi(request);
    expect(calls.map(({ job, args }) => [job, args.lateness_hours])).toEqual([
      ['transform_listens', '3'],
      ['transform_api', undefined],
    ]);
  });
});
