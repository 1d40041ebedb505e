/**
 * The TypeScript side of the songs contract (`lambdas/shared/songs-contract.json`): the zod record schema
 * the extractor validates with has the contract's columns and kinds, and the value conversion keeps
 * exactly what the contract's types hold. The Glue side is checked against the same file by
 * test/python/test_songs_contract.py.
 */
import { SongRecordSchema } from '../../lambdas/shared/contracts';
import {
  checkSongColumnTypes,
  normalizeSongRow,
  SONGS_CONTRACT,
  songValue,
  SongsContractError,
} from '../../lambdas/shared/songs-contract';
import cases from './songs-contract-cases.json';

const GOOD_ROW = cases.landed[0] as Record<string, unknown>;

describe('songs contract', () => {
  it('lists the columns of the zod record schema, in its order', () => {
    expect(SONGS_CONTRACT.columns.map((column) => column.name)).toEqual(Object.keys(SongRecordSchema.shape));
  });

  it.each(SONGS_CONTRACT.columns.map((column) => [column.name, column.kind]))(
    'zod types %s as the contract kind %s',
    (name, kind) => {
      const accepts = (value: unknown) => SongRecordSchema.safeParse({ ...GOOD_ROW, [name]: value }).success;
      // The kinds differ on these probes: text takes no number, int no fraction, no number kind a string.
      expect({
        string: accepts(GOOD_ROW[name] === null ? 'x' : String(GOOD_ROW[name])),
        fraction: accepts(1.5),
        integer: accepts(7),
      }).toEqual(
        {
          text: { string: true, fraction: false, integer: false },
          float: { string: false, fraction: true, integer: true },
          int: { string: false, fraction: false, integer: true },
        }[kind],
      );
    },
  );

  it('accepts every declared type the contract lists, and names each column outside it', () => {
    const declared = SONGS_CONTRACT.columns.map(({ name, kind }) => ({
      name,
      type: SONGS_CONTRACT.kinds[kind].postgres.at(-1)!,
    }));
    expect(() => checkSongColumnTypes(declared)).not.toThrow();
    const bad = declared.map((column) =>
      column.name === 'year'
        ? { ...column, type: 'numeric' }
        : column.name === 'title'
          ? { ...column, type: 'int4' }
          : column,
    );
    expect(() => checkSongColumnTypes(bad.filter((column) => column.name !== 'shs_work'))).toThrow(
      new SongsContractError(
        'deftunes.songs does not match the songs contract: ' +
          "column title has type int4; the contract's text columns accept text, varchar, bpchar; " +
          "column year has type numeric; the contract's int columns accept int2, int4, int8; " +
          'column shs_work is missing',
      ),
    );
  });

  it.each([
    ['int', '2147483647', { value: 2147483647 }],
    ['int', '-2147483648', { value: -2147483648 }],
    ['int', '2147483648', { problem: 'is outside the int range [-2147483648, 2147483647]' }],
    ['int', '9007199254740993', { problem: 'is outside the int range [-2147483648, 2147483647]' }],
    ['int', 2 ** 40, { problem: 'is outside the int range [-2147483648, 2147483647]' }],
    ['int', '12.0', { problem: 'is not an integer' }],
    ['float', '218.931790000', { value: 218.93179 }],
    ['float', '-0.000', { value: -0 }],
    ['float', '1e-7', { value: 1e-7 }],
    ['float', '0.1', { value: 0.1 }],
    ['float', '123456789012345.6', { value: 123456789012345.6 }],
    [
      'float',
      '9007199254740993',
      { problem: 'has more digits than a double holds (nearest double 9007199254740992)' },
    ],
    ['float', '1e400', { problem: 'is beyond the double range' }],
    ['float', '-Infinity', { problem: 'is not a finite number' }],
    ['float', Number.NaN, { problem: 'is not a finite number' }],
    ['float', ' 1', { problem: 'is not a finite number' }],
    ['float', '.', { problem: 'is not a finite number' }],
    ['text', 'x', { value: 'x' }],
    ['text', 3, { problem: 'is not text' }],
    ['int', null, { value: null }],
  ] as const)('converts a %s value %p', (kind, raw, expected) => {
    expect(songValue(kind, raw)).toEqual(expected);
  });

  it('keeps refused values as text so the quarantine shows them', () => {
    const row = normalizeSongRow({ ...GOOD_ROW, duration: Number.NaN, shs_work: '4294967296', extra: 1 });
    expect(row).toEqual({ ...GOOD_ROW, duration: 'NaN', shs_work: '4294967296' });
    expect(JSON.stringify(row)).toContain('"duration":"NaN"');
  });
});
