/**
 * The report's only stylesheet and script. They are constants so their CSP
 * hashes are computed once; the script reads the stats from the page's JSON
 * data block, never from markup.
 */
import { createHash } from 'node:crypto';

export const REPORT_CSS = `
:root{--fg:#1d232b;--muted:#5d6773;--bg:#f6f7f9;--card:#fff;--line:#dfe3e8;--red:#c62828;--red-bg:#fdecea;--yellow:#8a6d00;--yellow-bg:#fff6d6;--blue:#2f6fd0;--info:#2f6fd0}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg)}
header{padding:20px 28px 14px;background:#1d232b;color:#f3f5f7}
header h1{margin:0 0 8px;font-size:22px;font-weight:600;overflow-wrap:anywhere}
header dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:0;font-size:13px}
header dt{color:#a8b2bd}header dd{margin:0;overflow-wrap:anywhere}
header code{color:#f3f5f7}
main{padding:18px 28px 40px;max-width:1400px}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:14px 18px;margin:0 0 18px}
h2{font-size:16px;margin:0 0 10px}h3{font-size:14px;margin:0 0 6px}
.note,.empty{color:var(--muted);font-size:13px;margin:6px 0 0}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:12px;background:none;border:0;padding:0}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 14px}
.card .k{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.card .v{font-size:22px;font-weight:600;margin:2px 0}
.card .s{color:var(--muted);font-size:12px;overflow-wrap:anywhere}
.card.bad .v{color:var(--red)}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:4px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{font-weight:600;color:var(--muted);white-space:nowrap}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
th button{all:unset;cursor:pointer}
th button:focus-visible{outline:2px solid var(--blue)}
th[aria-sort=descending] button::after{content:" \\25BE"}
th[aria-sort=ascending] button::after{content:" \\25B4"}
tr.sev-red td{background:var(--red-bg)}tr.sev-red td:first-child{box-shadow:inset 3px 0 var(--red)}
tr.sev-yellow td{background:var(--yellow-bg)}tr.sev-yellow td:first-child{box-shadow:inset 3px 0 #e0b000}
a{color:var(--blue);text-decoration:none}a:hover{text-decoration:underline}
a.flag{display:inline-block;margin-left:6px;padding:0 5px;border-radius:8px;background:var(--blue);color:#fff;font-size:11px;font-weight:700}
code,.args{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
td.args{overflow-wrap:anywhere;word-break:break-all;max-width:720px}
.scroll{overflow-x:auto}.scroll.tall{max-height:560px;overflow-y:auto}
td.t{white-space:nowrap}
.chart{max-width:100%;height:auto;font-size:11px}
.chart .label{font-size:12px;font-weight:600;fill:var(--fg)}
.chart .value,.chart .tick{fill:var(--muted)}
.chart .axis{stroke:#9aa4af}.chart .grid{stroke:#eef0f3}
.chart .calls{fill:#7aa7e6}.chart .errors{fill:var(--red)}.chart .bin{fill:#6a9ee0}
.marker line{stroke-width:1.5;stroke-dasharray:3 2}
.m0 line{stroke:#2e7d32}.m1 line{stroke:#e08a00}.m2 line{stroke:var(--red)}
.p50{color:#2e7d32;font-weight:600}.p95{color:#b26b00;font-weight:600}.p99{color:var(--red);font-weight:600}
.cat-io{fill:#2f6fd0}.cat-fs{fill:#12908e}.cat-net{fill:#7b4fc9}.cat-mem{fill:#e08a00}.cat-proc{fill:#2e7d32}.cat-sig{fill:#c2407a}.cat-other{fill:#8792a0}
.bar .bar-bg{fill:#eef0f3}.bar .bar-fill{fill:var(--red)}
.legend{font-size:12px;color:var(--muted)}.legend .sw{display:inline-block;width:10px;height:10px;border-radius:2px;margin:0 4px 0 10px}
.sw.calls{background:#7aa7e6}.sw.errors{background:var(--red)}
.grid-hist{display:grid;grid-template-columns:repeat(auto-fill,minmax(370px,1fr));gap:14px}
figure{margin:0;border:1px solid var(--line);border-radius:6px;padding:8px}
figcaption{font-size:12px;color:var(--muted);margin-bottom:4px}figcaption b{color:var(--fg)}
.finding{border-left:4px solid var(--info);padding:6px 12px;margin:0 0 12px;background:#fafbfc}
.finding.sev-critical{border-color:var(--red)}.finding.sev-warning{border-color:#e0b000}
.finding ul{margin:4px 0;padding-left:18px}
.tag{display:inline-block;font-size:11px;font-weight:700;text-transform:uppercase;padding:0 6px;border-radius:8px;margin-right:6px;color:#fff;background:var(--info)}
.tag.critical,.tag.red{background:var(--red)}.tag.warning,.tag.yellow{background:#c99a00}
.kb{color:var(--muted);font-size:13px}.kb p{margin:4px 0}
footer{color:var(--muted);font-size:12px;padding:0 28px 24px}
@media print{header{background:none;color:var(--fg)}header dt{color:var(--muted)}header code{color:var(--fg)}section{break-inside:avoid}}
`.trim();

export const REPORT_SCRIPT = `
(() => {
  const table = document.getElementById('stats-table');
  const block = document.getElementById('stracectl-data');
  if (!table || !block || !table.tHead || !table.tBodies[0]) return;
  const stats = JSON.parse(block.textContent).stats;
  const body = table.tBodies[0];
  const headers = Array.from(table.tHead.rows[0].cells);
  for (const th of headers) {
    const button = th.querySelector('button');
    const key = th.dataset.key;
    if (!button || !key) continue;
    button.addEventListener('click', () => {
      const text = key === 'name' || key === 'category';
      const current = th.getAttribute('aria-sort');
      const ascending = current === 'descending' || (current !== 'ascending' && text);
      for (const other of headers) other.removeAttribute('aria-sort');
      th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
      const rows = Array.from(body.rows);
      rows.sort((a, b) => {
        const x = stats[Number(a.dataset.i)][key];
        const y = stats[Number(b.dataset.i)][key];
        const order = text ? String(x).localeCompare(String(y)) : x - y;
        return (ascending ? order : -order) || Number(a.dataset.i) - Number(b.dataset.i);
      });
      body.append(...rows);
    });
  }
})();
`.trim();

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * Nothing may load or connect: only this stylesheet and this script (by
 * hash) run, images only as data: URLs, no base or form targets.
 */
export const REPORT_CSP = [
  "default-src 'none'",
  `style-src ${sha256(REPORT_CSS)}`,
  `script-src ${sha256(REPORT_SCRIPT)}`,
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');
