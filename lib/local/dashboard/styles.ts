/** The dashboard page's styles (one stylesheet, inlined; no framework). */
export const DASHBOARD_CSS = `
:root {
  --ink: #1d2433; --muted: #5b6475; --line: #dde2ea; --panel: #ffffff; --page: #f3f5f8;
  --accent: #2f5d9e; --passed: #2e7d32; --warned: #8a5a00; --failed: #b3261e;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--ink); background: var(--page); line-height: 1.4;
}
* { box-sizing: border-box; }
body { margin: 0; }
h1, h2 { margin: 0; font-weight: 600; }
h1 { font-size: 1.45rem; }
h2 { font-size: 1.05rem; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.9em; }
.skip-link { position: absolute; left: -9999px; }
.skip-link:focus { left: 1rem; top: 1rem; background: #fff; padding: 0.5rem; z-index: 10; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.page-header { background: #1d2b45; color: #fff; padding: 1.1rem 1.5rem; }
.subtitle { margin: 0.25rem 0 0; color: #c9d3e6; font-size: 0.9rem; }
.filters {
  position: sticky; top: 0; z-index: 5; display: flex; flex-wrap: wrap; align-items: flex-end; gap: 0.75rem 1rem;
  padding: 0.75rem 1.5rem; background: #fff; border-bottom: 1px solid var(--line);
  box-shadow: 0 1px 3px rgba(20, 30, 50, 0.06);
}
.field { display: flex; flex-direction: column; gap: 0.2rem; }
.field label { font-size: 0.8rem; color: var(--muted); font-weight: 600; }
input, select, button { font: inherit; font-size: 0.95rem; padding: 0.35rem 0.5rem; border: 1px solid #b9c1cf; border-radius: 6px; background: #fff; color: var(--ink); }
button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; padding: 0.4rem 0.9rem; }
button:hover { background: #244a80; }
:focus-visible { outline: 3px solid #f2a900; outline-offset: 2px; }
input[aria-invalid='true'] { border-color: var(--failed); box-shadow: 0 0 0 1px var(--failed); }
.filter-summary { margin: 0 0 0.35rem auto; color: var(--muted); font-size: 0.9rem; }
main { padding: 1rem 1.5rem 0; display: grid; gap: 1rem; }
.totals { display: grid; grid-template-columns: repeat(auto-fit, minmax(10.5rem, 1fr)); gap: 0.75rem; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 0.75rem 1rem; }
.card h2 { font-size: 0.8rem; color: var(--muted); text-transform: uppercase; letter-spacing: 0.04em; }
.figure { margin: 0.3rem 0 0; font-size: 1.55rem; font-weight: 650; font-variant-numeric: tabular-nums; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 1rem 1.1rem; }
.panel-head { margin-bottom: 0.6rem; }
.panel-note { margin: 0.2rem 0 0; color: var(--muted); font-size: 0.88rem; }
.panel-body { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 1rem; align-items: start; }
.panel-body.wide-table { grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); }
.panel-body.widest-table { grid-template-columns: minmax(0, 2fr) minmax(0, 3fr); }
@media (max-width: 600px) { .filters { position: static; } .filter-summary { margin-left: 0; } }
@media (max-width: 900px) {
  .panel-body, .panel-body.wide-table, .panel-body.widest-table { grid-template-columns: minmax(0, 1fr); }
}
.chart-wrap { position: relative; height: 340px; margin: 0; }
.empty { position: absolute; inset: 0; display: flex; align-items: center; justify-content: center; margin: 0; color: var(--muted); }
.empty[hidden] { display: none; }
.table-wrap { max-height: 340px; overflow: auto; border: 1px solid var(--line); border-radius: 8px; }
table { border-collapse: collapse; width: 100%; font-size: 0.86rem; font-variant-numeric: tabular-nums; }
th, td { padding: 0.32rem 0.6rem; text-align: left; border-bottom: 1px solid #eef1f5; white-space: nowrap; }
td.text-cell { white-space: normal; min-width: 12rem; }
thead th { position: sticky; top: 0; background: #f7f8fb; color: #3a4354; font-weight: 600; border-bottom: 1px solid var(--line); }
th.num, td.num { text-align: right; }
tbody tr:nth-child(even) { background: #fafbfd; }
tfoot td, tfoot th { font-weight: 650; background: #f7f8fb; border-top: 1px solid var(--line); position: sticky; bottom: 0; }
.badge { display: inline-block; padding: 0.05rem 0.5rem; border-radius: 999px; font-size: 0.8rem; font-weight: 600; border: 1px solid currentColor; }
.badge.passed { color: var(--passed); } .badge.warned { color: var(--warned); } .badge.failed { color: var(--failed); }
.page-footer { padding: 1rem 1.5rem 2rem; color: var(--muted); font-size: 0.88rem; display: grid; gap: 0.6rem; }
.page-footer h2 { font-size: 0.95rem; color: var(--ink); }
.page-footer ul { margin: 0.3rem 0 0; padding-left: 1.2rem; }
.check-ok { color: var(--passed); font-weight: 600; } .check-bad { color: var(--failed); font-weight: 600; }
.credits { margin: 0; }
`;
