import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { redshiftTarget } from '../../lib/local/cli/dashboard';
import { buildDashboard } from '../../lib/local/dashboard';
import { escapeHtml, jsonForScriptElement, renderDashboardHtml } from '../../lib/local/dashboard/html';
import type { DashboardData } from '../../lib/local/dashboard/model';
import { createFixture, HOSTILE_ARTIST } from './fixture';

const hostile: DashboardData = {
  schemaVersion: 1,
  title: 'Sales </title><script>alert(1)</script>',
  generatedAt: '2026-02-02T00:00:00.000Z',
  source: '"><img src=x onerror=alert(2)>',
  salesWindow: { from: '2026-01-01', to: '2026-02-01', months: 2, firstSale: '2025-06-30' },
  currency: 'USD',
  dates: ['2026-02-01'],
  countries: ['FR'],
  artists: [HOSTILE_ARTIST, '</script><!--<script>'],
  sales: [
    [0, 0, 0, 100, 1],
    [0, 0, 1, 250, 2],
  ],
  hourly: [[0, 1, -1, 1, 3, 350, 1, 0.6667]],
  enrichment: {
    topSongs: [
      {
        artist: HOSTILE_ARTIST,
        genre: '<b>rock</b>',
        song: '</script><!--',
        trackId: 'T1',
        items: 2,
        revenueCents: 250,
      },
    ],
    concertLocations: [
      {
        country: 'FR',
        city: '<img src=x onerror=alert(3)>',
        concerts: 1,
        artists: 1,
        firstDate: '2026-02-03',
        lastDate: '2026-02-03',
      },
    ],
    salesVsConcerts: [
      { artist: HOSTILE_ARTIST, country: 'FR', items: 2, revenueCents: 250, upcomingConcerts: 1 },
    ],
  },
  listening: {
    days: ['2026-02-01'],
    daysHeld: 1,
    hourly: [
      {
        date: '2026-02-01',
        hour: 1,
        plays: 3,
        uniqueListeners: 2,
        uniqueTracks: 2,
        trackDiversityIndex: 0.6667,
        topArtist: HOSTILE_ARTIST,
        topArtistPlays: 2,
      },
    ],
    genres: [
      {
        date: '2026-02-01',
        genre: '<b>rock</b>',
        plays: 3,
        popularityIndex: 1.5,
        avgDurationS: 200,
        avgPopularity: 50,
        topTrack: '</script><!--',
        topTrackId: 'T1',
        topTrackArtist: HOSTILE_ARTIST,
        topTrackPlays: 2,
      },
    ],
  },
  transformRowCounts: [],
  quality: [],
  checks: [{ name: 'x', ok: true, detail: '<b>fine</b>' }],
  notes: ['<i>note</i>\u2028'],
};

describe('escaping', () => {
  it('escapes text for HTML', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
  });

  it('writes JSON that cannot leave its script element and parses back to the same value', () => {
    const json = jsonForScriptElement(hostile);
    expect(json).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(json)).toEqual(hostile);
  });
});

describe('renderDashboardHtml', () => {
  const html = renderDashboardHtml(hostile);

  it('puts no data into the page as markup', () => {
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>fine');
    expect(html).toContain('<title>Sales &#60;/title&#62;&#60;script&#62;alert(1)&#60;/script&#62;</title>');
    expect(html.match(/<script\b/g)).toHaveLength(3);
    expect(html.match(/<\/script>/g)).toHaveLength(3);
  });

  it('is self-contained: no external resource, and a policy that allows only its own two scripts', () => {
    expect(html).not.toMatch(/\s(src|href)=["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/<link\b/i);
    const csp = (
      /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1] ?? ''
    ).replace(/&#39;/g, "'");
    expect(csp).toContain("default-src 'none'");
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((match) => match[1]);
    expect(scripts).toHaveLength(2);
    for (const script of scripts) {
      const hash = createHash('sha256').update(script, 'utf8').digest('base64');
      expect(csp).toContain(`'sha256-${hash}'`);
    }
    expect(scripts[0]).toContain('Chart.js v4.5.1');
  });

  it('shows the totals before any script runs', () => {
    expect(html).toContain('id="total-revenue" data-cents="350">$3.50<');
    expect(html).toContain('id="total-items" data-value="3">3<');
  });
});

describe('buildDashboard', () => {
  it('writes the page into place and returns its totals and checks', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dashboard-build-'));
    try {
      const fixture = await createFixture(dir);
      const warehouse = await fixture.openWarehouse();
      try {
        const out = path.join(dir, 'nested', 'out', 'dashboard.html');
        const result = await buildDashboard({ warehouse, resultsStore: fixture.results, outFile: out });
        const [fact] = await warehouse.query(
          'select count(*) as items, sum(price) as revenue from deftunes_serving.fact_session_items',
        );
        expect(result.path).toBe(out);
        expect(result.totals.items).toBe(Number(fact.items));
        expect(result.totals.revenueCents).toBe(Math.round(Number(fact.revenue) * 100));
        expect(result.checks.every((check) => check.ok)).toBe(true);
        expect(result.bytes).toBe(readFileSync(out).length);
        expect(readdirSync(path.dirname(out))).toEqual(['dashboard.html']);
      } finally {
        await warehouse.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves the previous page when the warehouse cannot be read', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dashboard-fail-'));
    try {
      const failing = {
        query: () => Promise.reject(new Error('connection reset')),
        transaction: () => Promise.resolve([]),
        close: () => Promise.resolve(),
      };
      const out = path.join(dir, 'dashboard.html');
      await expect(buildDashboard({ warehouse: failing, outFile: out })).rejects.toThrow(
        'dashboard: reading the serving schema failed: connection reset',
      );
      expect(existsSync(out)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('deftunes dashboard --env', () => {
  const cdkJson = path.join(mkdtempSync(path.join(tmpdir(), 'dashboard-cdk-')), 'cdk.json');
  beforeAll(() => {
    writeFileSync(
      cdkJson,
      JSON.stringify({
        context: {
          'deftunes:environments': { dev: { region: 'eu-west-1', redshift: { databaseName: 'deftunes' } } },
        },
      }),
    );
  });

  it("reads the environment's database and region from cdk.json", () => {
    expect(redshiftTarget({ env: 'dev' }, cdkJson)).toEqual({
      workgroup: 'deftunes-dev',
      database: 'deftunes',
      region: 'eu-west-1',
    });
    expect(
      redshiftTarget({ env: 'dev', workgroup: 'wg', database: 'db', region: 'us-east-1' }, cdkJson),
    ).toEqual({
      workgroup: 'wg',
      database: 'db',
      region: 'us-east-1',
    });
    expect(redshiftTarget({ workgroup: 'wg', database: 'db' }, cdkJson)).toEqual({
      workgroup: 'wg',
      database: 'db',
    });
  });

  it('names an unknown environment and what is known', () => {
    expect(() => redshiftTarget({ env: 'qa' }, cdkJson)).toThrow(
      `environment "qa" is not in ${cdkJson} context "deftunes:environments" (known: dev)`,
    );
    expect(() => redshiftTarget({ workgroup: 'wg' }, cdkJson)).toThrow(
      'needs --env NAME, or --workgroup and --database',
    );
  });

  it("matches the repository's cdk.json", () => {
    const target = redshiftTarget({ env: 'dev' });
    expect(target.workgroup).toBe('deftunes-dev');
    expect(target.database).toMatch(/^[a-z][a-z0-9_]*$/);
  });
});
