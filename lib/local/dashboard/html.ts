/**
 * Renders the dashboard as ONE self-contained HTML file: the charting library (Chart.js, inlined from its
 * npm dist bundle), the page's own script (bundled from client.ts by esbuild), the styles and the data
 * (JSON) are all inside it. A Content-Security-Policy with hashes of the two scripts forbids every network
 * request and every other script, so the page works offline and embedded data can never run as code.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { formatInteger, formatMoney, totalsOf } from './aggregate';
import type { DashboardData } from './model';
import { DASHBOARD_CSS } from './styles';

/** Chart.js's browser (UMD) bundle, beside the CommonJS entry point its package exports. */
const CHART_JS_BUNDLE = 'chart.umd.min.js';

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/**
 * JSON that is safe inside a `<script type="application/json">` element: `<`, `>` and `&` are written as
 * Unicode escapes, so no data can close the element or open a comment; U+2028/2029 likewise.
 */
export function jsonForScriptElement(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (character) => {
    return `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

let chartJsCache: { version: string; source: string } | undefined;
let clientCache: string | undefined;

/** The Chart.js UMD bundle and its version, read from node_modules. */
export function chartJsBundle(): { version: string; source: string } {
  if (chartJsCache === undefined) {
    const dist = path.dirname(require.resolve('chart.js'));
    const manifest = JSON.parse(readFileSync(path.join(dist, '..', 'package.json'), 'utf8')) as {
      version: string;
    };
    const source = readFileSync(path.join(dist, CHART_JS_BUNDLE), 'utf8');
    chartJsCache = {
      version: manifest.version,
      source: inlineScript(source, `chart.js/dist/${CHART_JS_BUNDLE}`),
    };
  }
  return chartJsCache;
}

/** The page's own script: client.ts and what it imports, bundled into one classic script. */
export function clientBundle(): string {
  if (clientCache === undefined) {
    const result = buildSync({
      entryPoints: [path.join(__dirname, 'client.ts')],
      bundle: true,
      format: 'iife',
      platform: 'browser',
      target: 'es2020',
      minify: true,
      write: false,
      logLevel: 'silent',
    });
    clientCache = inlineScript(result.outputFiles[0].text, 'lib/local/dashboard/client.ts');
  }
  return clientCache;
}

/**
 * A script's text as it goes inside `<script>`: it must not contain `</script` or `<!--` (which would end
 * or confuse the element). Rewriting minified code is not safe, so such a bundle is refused by name.
 */
function inlineScript(source: string, name: string): string {
  if (/<\/script|<!--/i.test(source)) {
    throw new Error(`dashboard: ${name} contains "</script" or "<!--" and cannot be inlined safely`);
  }
  return source;
}

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/** The sales window, in words, after the build time (nothing before the first sale). */
export function salesWindowText(data: Pick<DashboardData, 'salesWindow'>): string {
  const { from, to, months, firstSale } = data.salesWindow;
  if (from === null || to === null) return '';
  const held = firstSale !== null && firstSale < from ? `; the warehouse holds sales from ${firstSale}` : '';
  return ` · sales ${from} to ${to} (the latest ${months === 1 ? 'calendar month' : `${months} calendar months`}${held})`;
}

export function renderDashboardHtml(data: DashboardData): string {
  const chartJs = chartJsBundle();
  const client = clientBundle();
  const totals = totalsOf(data.sales);
  const csp = [
    "default-src 'none'",
    `script-src ${sha256(chartJs.source)} ${sha256(client)}`,
    `style-src ${sha256(DASHBOARD_CSS)}`,
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const generated = data.generatedAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  const panel = (id: string, title: string, description: string, chartLabel: string, layout = '') => `
    <section class="panel" id="${id}-panel" aria-labelledby="${id}-title">
      <div class="panel-head">
        <h2 id="${id}-title">${escapeHtml(title)}</h2>
        <p class="panel-note" id="${id}-note">${escapeHtml(description)}</p>
      </div>
      <div class="panel-body${layout === '' ? '' : ` ${layout}`}">
        <figure class="chart-wrap">
          <canvas id="${id}-chart" role="img" aria-label="${escapeHtml(chartLabel)}"></canvas>
          <p class="empty" id="${id}-empty" hidden>No data in this selection.</p>
        </figure>
        <div class="table-wrap" tabindex="0" role="region" aria-label="${escapeHtml(`${title}: numbers`)}">
          <table id="${id}-table"><caption class="visually-hidden">${escapeHtml(`${title}: numbers`)}</caption></table>
        </div>
      </div>
    </section>`;

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="deftunes dashboard">
<title>${escapeHtml(data.title)}</title>
<style>${DASHBOARD_CSS}</style>
</head>
<body>
<a class="skip-link" href="#main">Skip to the charts</a>
<header class="page-header">
  <div>
    <h1>${escapeHtml(data.title)}</h1>
    <p class="subtitle">Source: ${escapeHtml(data.source)} · built ${escapeHtml(generated)}${escapeHtml(salesWindowText(data))}</p>
  </div>
</header>
<form class="filters" id="filters" aria-label="Filters">
  <div class="field"><label for="filter-from">From</label><input type="date" id="filter-from" name="from"></div>
  <div class="field"><label for="filter-to">To</label><input type="date" id="filter-to" name="to"></div>
  <div class="field"><label for="filter-country">Buyer country</label>
    <select id="filter-country" name="country"><option value="">All countries</option></select></div>
  <div class="field"><label for="filter-top">Top artists</label>
    <select id="filter-top" name="top"><option>10</option><option selected>15</option><option>25</option><option>50</option></select></div>
  <button type="reset" id="filter-reset">Reset</button>
  <p class="filter-summary" id="filter-summary" role="status" aria-live="polite"></p>
</form>
<main id="main">
  <section class="totals" aria-label="Totals">
    <div class="card"><h2>Revenue</h2><p class="figure" id="total-revenue" data-cents="${totals.revenueCents}">${escapeHtml(formatMoney(totals.revenueCents, data.currency))}</p></div>
    <div class="card"><h2>Items sold</h2><p class="figure" id="total-items" data-value="${totals.items}">${escapeHtml(formatInteger(totals.items))}</p></div>
    <div class="card"><h2>Average price</h2><p class="figure" id="total-average">–</p></div>
    <div class="card"><h2>Artists sold</h2><p class="figure" id="total-artists">${escapeHtml(formatInteger(totals.artists))}</p></div>
    <div class="card"><h2>Buyer countries</h2><p class="figure" id="total-countries">${escapeHtml(formatInteger(totals.countries))}</p></div>
    <div class="card"><h2>Latest quality run</h2><p class="figure" id="total-quality">–</p></div>
  </section>
  ${panel('artists', 'Revenue per artist', 'The best-selling artists in the selection, by revenue.', 'Bar chart of revenue per artist')}
  ${panel('countries', 'Revenue per country and month', "By the buyer's country at purchase time.", 'Stacked bar chart of revenue per month and country')}
  ${panel('hourly', 'Hourly KPIs', 'Revenue, items sold and unique buyers per hour; the table adds the top artist and the track diversity index (unique tracks / items).', 'Chart of revenue, items and unique buyers per hour', 'wide-table')}
  ${panel('quality', 'Data quality per run and stage', 'Rules passed, warned and failed at each quality gate.', 'Stacked bar chart of data-quality rule results per run and stage', 'widest-table')}
  ${panel('top-songs', 'Most popular song of each artist', "Each artist's most sold song.", 'Bar chart of the items sold of each artist’s most popular song', 'wide-table')}
  ${panel('concert-locations', 'Most popular concert locations', 'Upcoming concerts per venue city.', 'Bar chart of concerts and artists per city', 'wide-table')}
  ${panel('sales-concerts', 'Sales vs upcoming concerts', 'Per artist and country: items sold to users of the country and upcoming concerts there.', 'Bar chart of revenue and upcoming concerts per artist', 'wide-table')}
  ${panel('listening-hourly', 'Hourly listening', 'Plays, unique listeners, unique tracks and the top artist per UTC hour of the latest listening day in the date range.', 'Chart of plays and unique listeners per UTC hour', 'widest-table')}
  ${panel('genres', 'Genres', 'Plays, popularity index, average duration and popularity, and the top track per genre of the latest listening day in the date range.', 'Bar chart of plays and popularity index per genre', 'widest-table')}
  ${panel('rows', 'Rows per day', 'Items sold (rows of fact_session_items) per day and, for all countries, rows ingested into the transform tables.', 'Bar chart of rows per day', 'wide-table')}
</main>
<footer class="page-footer">
  <section aria-labelledby="checks-title">
    <h2 id="checks-title">Consistency with the warehouse</h2>
    <ul id="checks"></ul>
  </section>
  <section aria-labelledby="notes-title" id="notes-section" hidden>
    <h2 id="notes-title">Notes</h2>
    <ul id="notes"></ul>
  </section>
  <p class="credits">Generated by <code>deftunes dashboard</code>. Charts by Chart.js ${escapeHtml(chartJs.version)} (MIT License), embedded. Works offline.</p>
</footer>
<script type="application/json" id="dashboard-data">${jsonForScriptElement(data)}</script>
<script>${chartJs.source}</script>
<script>${client}</script>
</body>
</html>
`;
}
