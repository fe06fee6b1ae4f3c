/**
 * The dashboard's static parts: one HTML shell for `/` and `/syscall/:name`
 * (the script decides which view to build from the path) and the stylesheet.
 * Nothing here contains traced data; the script renders that with
 * textContent only. No external request: the icon is inline, there are no
 * web fonts, CDN scripts or remote images.
 */

export type DashboardView = 'overview' | 'syscall';

/** The HTML shell; `view` only selects a body class for the first paint. */
export function dashboardHtml(view: DashboardView): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>stracectl</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/dashboard.css">
<script type="module" src="/assets/dashboard.js"></script>
</head>
<body class="view-${view}">
<header class="topbar">
  <a class="brand" href="/">stracectl</a>
  <span class="source" id="source"></span>
  <span class="status" id="status">connecting…</span>
  <dl class="counters" id="counters"></dl>
</header>
<div class="banner" id="banner" hidden></div>
<main id="app"><noscript>The dashboard needs JavaScript. The data is also at /api/stats, /api/log and /metrics.</noscript></main>
</body>
</html>
`;
}

export const DASHBOARD_CSS = `
:root {
  --bg: #f6f7f9; --panel: #fff; --text: #1d2330; --muted: #5b6475; --line: #dfe3ea; --accent: #2f5fd0;
  --red-bg: #fde4e2; --red: #b3261e; --yellow-bg: #fff3c4; --yellow: #8a6100;
  --c-io: #3b82f6; --c-fs: #16a34a; --c-net: #8b5cf6; --c-mem: #f59e0b; --c-proc: #0d9488; --c-sig: #db2777; --c-other: #6b7280;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; font-size: 14px;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12.5px; }
.topbar { display: flex; align-items: center; gap: 16px; padding: 10px 20px; background: #1d2330; color: #fff; flex-wrap: wrap; }
.topbar .brand { color: #fff; font-weight: 700; font-size: 16px; }
.topbar .source { color: #c8cfdc; }
.status { padding: 2px 10px; border-radius: 10px; background: #3a4356; font-size: 12px; }
.status.live { background: #1f7a3d; }
.status.ended { background: #7a5a1f; }
.status.down { background: #8b1e1e; }
.counters { display: flex; gap: 18px; margin: 0 0 0 auto; }
.counters div { display: flex; flex-direction: column; align-items: flex-end; }
.counters dt { font-size: 11px; color: #aab3c5; text-transform: uppercase; letter-spacing: .04em; }
.counters dd { margin: 0; font-weight: 600; font-variant-numeric: tabular-nums; }
.banner { padding: 8px 20px; background: #fff3c4; border-bottom: 1px solid #e6d48a; color: #5c4700; }
.banner.down { background: var(--red-bg); color: var(--red); border-color: #f2b8b5; }
main { padding: 16px 20px 40px; max-width: 1400px; margin: 0 auto; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; margin-bottom: 16px; }
.panel h2 { font-size: 14px; margin: 0 0 10px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
.catbar { display: flex; height: 22px; border-radius: 5px; overflow: hidden; background: #e8ebf0; }
.catbar span { display: block; height: 100%; min-width: 2px; }
.legend { display: flex; flex-wrap: wrap; gap: 14px; margin-top: 8px; color: var(--muted); font-size: 12px; }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; }
.cat-IO { background: var(--c-io); } .cat-FS { background: var(--c-fs); } .cat-NET { background: var(--c-net); }
.cat-MEM { background: var(--c-mem); } .cat-PROC { background: var(--c-proc); } .cat-SIG { background: var(--c-sig); } .cat-OTHER { background: var(--c-other); }
.tabs { display: flex; gap: 4px; margin-bottom: -1px; }
.tabs button { border: 1px solid var(--line); border-bottom: none; background: #eceff4; padding: 7px 16px; border-radius: 8px 8px 0 0; cursor: pointer; font: inherit; color: var(--muted); }
.tabs button[aria-selected="true"] { background: var(--panel); color: var(--text); font-weight: 600; }
.toolbar { display: flex; gap: 12px; align-items: center; margin-bottom: 10px; }
.toolbar input[type="search"] { padding: 6px 10px; border: 1px solid var(--line); border-radius: 6px; min-width: 260px; font: inherit; }
.toolbar .note { color: var(--muted); font-size: 12px; }
table { border-collapse: collapse; width: 100%; }
th, td { padding: 6px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .03em; white-space: nowrap; user-select: none; }
th.sortable { cursor: pointer; }
th[aria-sort="descending"]::after { content: " ▼"; }
th[aria-sort="ascending"]::after { content: " ▲"; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr.clickable { cursor: pointer; }
tbody tr.clickable:hover { background: #eef3ff; }
tr.row-red { background: var(--red-bg); }
tr.row-red td:first-child { box-shadow: inset 3px 0 0 var(--red); }
tr.row-yellow { background: var(--yellow-bg); }
tr.row-yellow td:first-child { box-shadow: inset 3px 0 0 #d9a400; }
tr.err td.error { color: var(--red); font-weight: 600; }
td.args { max-width: 640px; overflow-wrap: anywhere; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 9px; font-size: 12px; color: #fff; }
.sev-red { background: var(--red); } .sev-yellow { background: #d9a400; color: #231a00; } .sev-none { background: #6b7280; }
.detail-head { display: flex; align-items: baseline; gap: 12px; flex-wrap: wrap; }
.detail-head h1 { margin: 0; font-size: 22px; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(120px, 1fr)); gap: 10px; }
.grid div { background: #f3f5f8; border-radius: 6px; padding: 8px 10px; }
.grid dt { font-size: 11px; color: var(--muted); text-transform: uppercase; }
.grid dd { margin: 2px 0 0; font-size: 16px; font-weight: 600; font-variant-numeric: tabular-nums; }
.hints { list-style: none; padding: 0; margin: 0; }
.hints li { padding: 8px 10px; border-radius: 6px; margin-bottom: 6px; background: #eef3ff; }
.hints li.critical { background: var(--red-bg); color: var(--red); }
.hints li.warning { background: var(--yellow-bg); color: #5c4700; }
.bar { height: 8px; background: var(--red); border-radius: 4px; min-width: 2px; }
.kb dt { font-weight: 600; margin-top: 10px; }
.kb dd { margin: 4px 0 0; }
.muted { color: var(--muted); }
.two { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
@media (max-width: 900px) { .two { grid-template-columns: 1fr; } .counters { margin-left: 0; } }
`;
