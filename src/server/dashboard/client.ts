/**
 * The dashboard script (runs in the browser; served as /assets/dashboard.js).
 * Two views: the overview (`/`: live table, category bar, log tab) and the
 * detail page (`/syscall/NAME`). Live data comes over the `/api/stream`
 * WebSocket. Everything from a traced program (names, args, paths, errnos)
 * is untrusted: the DOM is built with createElement + textContent only.
 */
import type { Category, StatsRecord as Stats, SyscallEvent as TraceEvent } from '../../event.js';
import type { Summary } from '../hub.js';
import type { KbEntry } from '../../kb/index.js';





interface Detail extends Stats {
  recent_errors: TraceEvent[];
  kb: KbEntry;
  hints: Array<{ id: string; severity: 'info' | 'warning' | 'critical'; message: string }>;
  severity: 'red' | 'yellow' | null;
}

type StreamMessage =
  | { type: 'hello'; thresholds: Thresholds; summary: Summary; stats: Stats[] }
  | { type: 'stats'; summary: Summary; stats: Stats[] }
  | { type: 'events'; events: TraceEvent[]; skipped: number }
  | { type: 'ended'; summary: Summary };

interface Thresholds {
  red_error_pct: number;
  yellow_avg_ns: number;
}

const CATEGORIES: Category[] = ['I/O', 'FS', 'NET', 'MEM', 'PROC', 'SIG', 'OTHER'];
const LOG_SIZE = 500;

const state = {
  thresholds: { red_error_pct: 50, yellow_avg_ns: 5_000_000 } as Thresholds,
  stats: [] as Stats[],
  summary: undefined as Summary | undefined,
  log: [] as TraceEvent[],
  skipped: 0,
  sortKey: 'count' as keyof Stats,
  sortDesc: true,
  filter: '',
  tab: 'table' as 'table' | 'log',
  connected: false,
  unauthorized: false,
  logDirty: false,
};

// ---------------------------------------------------------------- helpers

type Child = Node | string | null | undefined | false;

/** Creates an element; string children become text nodes, so data is never parsed as HTML. */
function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { class?: string; title?: string; href?: string; attrs?: Record<string, string> } = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (props.class !== undefined) element.className = props.class;
  if (props.title !== undefined) element.title = props.title;
  if (props.href !== undefined) element.setAttribute('href', props.href);
  for (const [key, value] of Object.entries(props.attrs ?? {})) element.setAttribute(key, value);
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return element;
}

function byId(id: string): HTMLElement {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`#${id} missing`);
  return element;
}

function formatDuration(ns: number): string {
  if (!Number.isFinite(ns)) return '-';
  const trim = (value: number): string => (value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2));
  if (ns < 1e3) return `${Math.round(ns)}ns`;
  if (ns < 1e6) return `${trim(ns / 1e3)}µs`;
  if (ns < 1e9) return `${trim(ns / 1e6)}ms`;
  return `${trim(ns / 1e9)}s`;
}

function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

function formatPct(n: number): string {
  return `${n.toFixed(1)}%`;
}

/** `2026-11-27T20:53:07.835814Z` → `20:53:07.835814`. */
function clock(timestamp: string): string {
  const match = /T(\d\d:\d\d:\d\d(?:\.\d+)?)/.exec(timestamp);
  return match?.[1] ?? timestamp;
}

function categoryClass(category: string): string {
  return `cat-${CATEGORIES.includes(category as Category) ? category.replace('/', '') : 'OTHER'}`;
}

function severityOf(stats: Pick<Stats, 'error_pct' | 'avg_ns'>): 'red' | 'yellow' | null {
  if (stats.error_pct >= state.thresholds.red_error_pct) return 'red';
  if (stats.avg_ns >= state.thresholds.yellow_avg_ns) return 'yellow';
  return null;
}

function detailHref(name: string): string {
  return `/syscall/${encodeURIComponent(name)}`;
}

async function getJson<T>(path: string): Promise<{ status: number; body: T | undefined }> {
  const response = await fetch(path, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
  if (response.status === 401) {
    state.unauthorized = true;
    renderBanner();
  }
  const body = response.headers.get('content-type')?.includes('application/json') ? ((await response.json()) as T) : undefined;
  return { status: response.status, body };
}

// ---------------------------------------------------------------- header

function renderHeader(): void {
  const summary = state.summary;
  const status = byId('status');
  status.className = 'status';
  if (!state.connected) {
    status.textContent = state.unauthorized ? 'unauthorized' : 'disconnected';
    status.classList.add('down');
  } else if (summary?.input_ended === true) {
    status.textContent = 'input ended';
    status.classList.add('ended');
  } else {
    status.textContent = 'live';
    status.classList.add('live');
  }
  byId('source').textContent = summary === undefined ? '' : `source: ${summary.source}`;
  const counters = byId('counters');
  const items: Array<[string, string, string]> = summary === undefined ? [] : [
    ['events/s', formatCount(Math.round(summary.events_per_s)), 'rate'],
    ['events', formatCount(summary.events), 'events'],
    ['errors', formatCount(summary.errors), 'errors'],
    ['lost', formatCount(summary.lost), 'lost'],
    ['syscalls', formatCount(summary.syscalls), 'syscalls'],
    ['pids', formatCount(summary.pids), 'pids'],
    ['elapsed', `${Math.round(summary.elapsed_s)}s`, 'elapsed'],
  ];
  counters.replaceChildren(...items.map(([label, value, key]) => h('div', { attrs: { 'data-counter': key } }, h('dt', {}, label), h('dd', {}, value))));
}

function renderBanner(): void {
  const banner = byId('banner');
  banner.className = 'banner';
  if (state.unauthorized) {
    banner.textContent = 'This server requires a token: open the dashboard once as /?token=YOUR_TOKEN (the token is then kept in a cookie).';
    banner.classList.add('down');
    banner.hidden = false;
  } else if (!state.connected) {
    banner.textContent = 'Connection to the server lost — retrying. The numbers shown are the last ones received.';
    banner.classList.add('down');
    banner.hidden = false;
  } else if (state.summary?.input_ended === true) {
    banner.textContent = 'Input ended: these are the final numbers. The dashboard and the API stay available until the server is stopped.';
    banner.setAttribute('data-banner', 'ended');
    banner.hidden = false;
  } else {
    banner.hidden = true;
  }
}

// ---------------------------------------------------------------- overview

const COLUMNS: Array<{ key: keyof Stats; label: string; numeric: boolean; format: (s: Stats) => string }> = [
  { key: 'name', label: 'Name', numeric: false, format: (s) => s.name },
  { key: 'category', label: 'Cat', numeric: false, format: (s) => s.category },
  { key: 'count', label: 'Calls', numeric: true, format: (s) => formatCount(s.count) },
  { key: 'errors', label: 'Errors', numeric: true, format: (s) => formatCount(s.errors) },
  { key: 'error_pct', label: 'Err%', numeric: true, format: (s) => formatPct(s.error_pct) },
  { key: 'avg_ns', label: 'Avg', numeric: true, format: (s) => formatDuration(s.avg_ns) },
  { key: 'p95_ns', label: 'P95', numeric: true, format: (s) => formatDuration(s.p95_ns) },
  { key: 'p99_ns', label: 'P99', numeric: true, format: (s) => formatDuration(s.p99_ns) },
  { key: 'max_ns', label: 'Max', numeric: true, format: (s) => formatDuration(s.max_ns) },
  { key: 'total_ns', label: 'Total', numeric: true, format: (s) => formatDuration(s.total_ns) },
];

let overview: { catbar: HTMLElement; legend: HTMLElement; thead: HTMLTableSectionElement; tbody: HTMLTableSectionElement; shown: HTMLElement; logBody: HTMLTableSectionElement; logNote: HTMLElement; tablePanel: HTMLElement; logPanel: HTMLElement; tabs: HTMLButtonElement[] } | undefined;

function buildOverview(app: HTMLElement): void {
  const catbar = h('div', { class: 'catbar', attrs: { id: 'catbar', role: 'img', 'aria-label': 'share of calls per category' } });
  const legend = h('div', { class: 'legend', attrs: { id: 'legend' } });
  const filter = h('input', { attrs: { type: 'search', id: 'filter', placeholder: 'filter: name or category', 'aria-label': 'filter syscalls' } });
  filter.addEventListener('input', () => {
    state.filter = filter.value.trim().toLowerCase();
    renderTable();
  });
  const shown = h('span', { class: 'note', attrs: { id: 'shown' } });
  const thead = h('thead');
  const tbody = h('tbody', { attrs: { id: 'stats-body' } });
  const tablePanel = h('section', { class: 'panel', attrs: { id: 'panel-table', role: 'tabpanel' } },
    h('div', { class: 'toolbar' }, filter, shown),
    h('table', { attrs: { id: 'stats-table' } }, thead, tbody),
  );
  const logBody = h('tbody', { attrs: { id: 'log-body' } });
  const logNote = h('span', { class: 'note', attrs: { id: 'log-note' } });
  const logPanel = h('section', { class: 'panel', attrs: { id: 'panel-log', role: 'tabpanel' } },
    h('div', { class: 'toolbar' }, h('span', { class: 'note' }, `The last ${LOG_SIZE} events, newest first.`), logNote),
    h('table', { attrs: { id: 'log-table' } },
      h('thead', {}, h('tr', {}, ...['Time', 'PID', 'Name', 'Args', 'Ret', 'Error', 'Latency'].map((label) => h('th', { class: label === 'PID' || label === 'Latency' ? 'num' : '' }, label)))),
      logBody),
  );
  logPanel.hidden = true;
  const tabs = (['table', 'log'] as const).map((tab) => {
    const button = h('button', { attrs: { type: 'button', role: 'tab', id: `tab-${tab}`, 'aria-selected': String(tab === 'table') } }, tab === 'table' ? 'Syscalls' : 'Live log');
    button.addEventListener('click', () => selectTab(tab));
    return button;
  });
  app.replaceChildren(
    h('section', { class: 'panel' }, h('h2', {}, 'Calls per category'), catbar, legend),
    h('nav', { class: 'tabs', attrs: { role: 'tablist' } }, ...tabs),
    tablePanel,
    logPanel,
  );
  overview = { catbar, legend, thead, tbody, shown, logBody, logNote, tablePanel, logPanel, tabs };
  renderTableHead();
}

function selectTab(tab: 'table' | 'log'): void {
  if (overview === undefined) return;
  state.tab = tab;
  overview.tablePanel.hidden = tab !== 'table';
  overview.logPanel.hidden = tab !== 'log';
  for (const button of overview.tabs) button.setAttribute('aria-selected', String(button.id === `tab-${tab}`));
  if (tab === 'log') renderLog();
}

function renderTableHead(): void {
  if (overview === undefined) return;
  const row = h('tr', {}, ...COLUMNS.map((column) => {
    const th = h('th', { class: `sortable${column.numeric ? ' num' : ''}`, attrs: { 'data-key': String(column.key), tabindex: '0' } }, column.label);
    if (column.key === state.sortKey) th.setAttribute('aria-sort', state.sortDesc ? 'descending' : 'ascending');
    const sortBy = (): void => {
      if (state.sortKey === column.key) state.sortDesc = !state.sortDesc;
      else {
        state.sortKey = column.key;
        state.sortDesc = column.numeric; // numbers: biggest first; text: A → Z
      }
      renderTableHead();
      renderTable();
    };
    th.addEventListener('click', sortBy);
    th.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') sortBy();
    });
    return th;
  }));
  overview.thead.replaceChildren(row);
}

function sortedFilteredStats(): Stats[] {
  const key = state.sortKey;
  const filter = state.filter;
  const rows = filter === '' ? [...state.stats] : state.stats.filter((s) => s.name.toLowerCase().includes(filter) || s.category.toLowerCase() === filter);
  rows.sort((a, b) => {
    const x = a[key];
    const y = b[key];
    const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
    return (state.sortDesc ? -order : order) || b.count - a.count || a.name.localeCompare(b.name);
  });
  return rows;
}

function renderTable(): void {
  if (overview === undefined) return;
  const rows = sortedFilteredStats();
  overview.tbody.replaceChildren(...rows.map((stats) => {
    const severity = severityOf(stats);
    const tr = h('tr', {
      class: `clickable${severity === null ? '' : ` row-${severity}`}`,
      title: severity === 'red' ? `Err% ≥ ${state.thresholds.red_error_pct}` : severity === 'yellow' ? `Avg ≥ ${formatDuration(state.thresholds.yellow_avg_ns)}` : undefined,
      attrs: { 'data-name': stats.name, 'data-severity': severity ?? 'none' },
    }, ...COLUMNS.map((column) => h('td', { class: column.numeric ? 'num' : '' },
      column.key === 'name' ? h('a', { href: detailHref(stats.name) }, stats.name) : column.format(stats))));
    tr.addEventListener('click', (event) => {
      if ((event.target as HTMLElement).closest('a') === null) location.assign(detailHref(stats.name));
    });
    return tr;
  }));
  overview.shown.textContent = rows.length === state.stats.length ? `${rows.length} syscalls` : `${rows.length} of ${state.stats.length} syscalls`;
}

function renderCategories(): void {
  if (overview === undefined) return;
  const shares = state.summary?.categories ?? {};
  const present = CATEGORIES.filter((category) => (shares[category] ?? 0) > 0);
  overview.catbar.replaceChildren(...present.map((category) => {
    const segment = h('span', { class: categoryClass(category), title: `${category} ${formatPct(shares[category] ?? 0)}`, attrs: { 'data-category': category } });
    segment.style.width = `${shares[category] ?? 0}%`; // CSSOM, allowed under the page's CSP
    return segment;
  }));
  overview.legend.replaceChildren(...present.map((category) => h('span', {}, h('i', { class: categoryClass(category) }), `${category} ${formatPct(shares[category] ?? 0)}`)));
}

function renderLog(): void {
  if (overview === undefined || state.tab !== 'log') return;
  state.logDirty = false;
  const rows = [];
  for (let i = state.log.length - 1; i >= 0; i--) {
    const event = state.log[i] as TraceEvent;
    rows.push(h('tr', { class: event.error === '' ? '' : 'err' },
      h('td', { class: 'mono' }, clock(event.timestamp)),
      h('td', { class: 'num' }, String(event.pid)),
      h('td', {}, h('a', { href: detailHref(event.name) }, event.name)),
      h('td', { class: 'args mono' }, event.args),
      h('td', { class: 'mono' }, event.ret),
      h('td', { class: 'error' }, event.error),
      h('td', { class: 'num' }, formatDuration(event.latency_ns)),
    ));
  }
  overview.logBody.replaceChildren(...rows);
  overview.logNote.textContent = state.skipped > 0 ? `${formatCount(state.skipped)} events were not streamed to the browser (too many per second); the statistics include them.` : '';
}

function addEvents(events: TraceEvent[]): void {
  state.log.push(...events);
  if (state.log.length > LOG_SIZE) state.log.splice(0, state.log.length - LOG_SIZE);
  if (!state.logDirty) {
    state.logDirty = true;
    // Coalesce bursts of batches into one repaint.
    requestAnimationFrame(() => renderLog());
  }
}

// ---------------------------------------------------------------- detail

let detailName = '';
let detailCount = -1;
let detailLoading = false;

function statBlock(label: string, value: string, key: string): HTMLElement {
  return h('div', { attrs: { 'data-stat': key } }, h('dt', {}, label), h('dd', {}, value));
}

function renderKb(kb: KbEntry): HTMLElement {
  if (!kb.known) return h('p', { class: 'muted' }, `${kb.description} ${kb.notes}`);
  const list = h('dl', { class: 'kb' },
    h('dt', {}, 'Description'), h('dd', {}, kb.description),
    h('dt', {}, 'Signature'), h('dd', {}, h('code', {}, kb.signature)),
  );
  if (kb.args.length > 0) {
    list.append(h('dt', {}, 'Arguments'), h('dd', {}, h('table', {}, h('tbody', {}, ...kb.args.map((arg) => h('tr', {}, h('td', {}, h('code', {}, arg.name)), h('td', {}, arg.description)))))));
  }
  list.append(h('dt', {}, 'Returns'), h('dd', {}, kb.returns));
  if (kb.errors.length > 0) {
    list.append(h('dt', {}, 'Common errors'), h('dd', {}, h('table', {}, h('tbody', {}, ...kb.errors.map((error) => h('tr', {}, h('td', {}, h('code', {}, error.errno)), h('td', {}, error.description)))))));
  }
  if (kb.notes !== '') list.append(h('dt', {}, 'Notes'), h('dd', {}, kb.notes));
  if (kb.aliases.length > 0) list.append(h('dt', {}, 'Aliases'), h('dd', {}, kb.aliases.join(', ')));
  return list;
}

function renderDetail(app: HTMLElement, detail: Detail): void {
  document.title = `${detail.name} — stracectl`;
  const severity = detail.severity;
  const breakdown = Object.entries(detail.error_breakdown).sort((a, b) => b[1] - a[1]);
  const meaning = new Map(detail.kb.errors.map((error) => [error.errno, error.description]));
  const head = h('div', { class: 'detail-head' },
    h('h1', { attrs: { id: 'detail-name' } }, detail.name),
    h('span', { class: `badge ${categoryClass(detail.category)}` }, detail.category),
    h('span', { class: `badge sev-${severity ?? 'none'}`, attrs: { id: 'detail-severity' } }, severity === 'red' ? 'high error rate' : severity === 'yellow' ? 'slow' : 'ok'),
    detail.kb.aliases.length > 0 ? h('span', { class: 'muted' }, `aliases: ${detail.kb.aliases.join(', ')}`) : null,
  );
  const grid = h('dl', { class: 'grid' },
    statBlock('Calls', formatCount(detail.count), 'count'),
    statBlock('Errors', formatCount(detail.errors), 'errors'),
    statBlock('Err%', formatPct(detail.error_pct), 'error_pct'),
    statBlock('Avg', formatDuration(detail.avg_ns), 'avg'),
    statBlock('Min', formatDuration(detail.min_ns), 'min'),
    statBlock('P50', formatDuration(detail.p50_ns), 'p50'),
    statBlock('P95', formatDuration(detail.p95_ns), 'p95'),
    statBlock('P99', formatDuration(detail.p99_ns), 'p99'),
    statBlock('Max', formatDuration(detail.max_ns), 'max'),
    statBlock('Total', formatDuration(detail.total_ns), 'total'),
  );
  const hints = detail.hints.length === 0
    ? h('p', { class: 'muted' }, 'Nothing unusual.')
    : h('ul', { class: 'hints' }, ...detail.hints.map((hint) => h('li', { class: hint.severity }, hint.message)));
  const errorsTable = breakdown.length === 0
    ? h('p', { class: 'muted' }, 'No errors.')
    : h('table', { attrs: { id: 'errno-table' } },
      h('thead', {}, h('tr', {}, h('th', {}, 'Errno'), h('th', { class: 'num' }, 'Count'), h('th', { class: 'num' }, 'Share'), h('th', {}, ''), h('th', {}, 'Meaning'))),
      h('tbody', {}, ...breakdown.map(([errno, count]) => {
        const share = detail.errors === 0 ? 0 : (count / detail.errors) * 100;
        const bar = h('div', { class: 'bar' });
        bar.style.width = `${share}%`;
        return h('tr', {}, h('td', {}, h('code', {}, errno)), h('td', { class: 'num' }, formatCount(count)), h('td', { class: 'num' }, formatPct(share)), h('td', {}, bar), h('td', { class: 'muted' }, meaning.get(errno) ?? ''));
      })));
  const recent = detail.recent_errors.length === 0
    ? h('p', { class: 'muted' }, 'No failing calls recorded.')
    : h('table', { attrs: { id: 'recent-errors' } },
      h('thead', {}, h('tr', {}, ...['Time', 'PID', 'Args', 'Ret', 'Error', 'Latency'].map((label) => h('th', {}, label)))),
      h('tbody', {}, ...[...detail.recent_errors].reverse().map((event) => h('tr', { class: 'err' },
        h('td', { class: 'mono' }, clock(event.timestamp)),
        h('td', { class: 'num' }, String(event.pid)),
        h('td', { class: 'args mono' }, event.args),
        h('td', { class: 'mono' }, event.ret),
        h('td', { class: 'error' }, event.error),
        h('td', { class: 'num' }, formatDuration(event.latency_ns)),
      ))));
  app.replaceChildren(
    h('p', {}, h('a', { href: '/' }, '← all syscalls')),
    h('section', { class: 'panel' }, head),
    h('section', { class: 'panel' }, h('h2', {}, 'Latency and counts'), grid),
    h('section', { class: 'panel', attrs: { id: 'hints' } }, h('h2', {}, 'Triage'), hints),
    h('div', { class: 'two' },
      h('section', { class: 'panel' }, h('h2', {}, 'Error breakdown'), errorsTable),
      h('section', { class: 'panel', attrs: { id: 'kb' } }, h('h2', {}, 'Knowledge base'), renderKb(detail.kb))),
    h('section', { class: 'panel' }, h('h2', {}, 'Recent errors'), recent),
  );
}

async function loadDetail(app: HTMLElement): Promise<void> {
  if (detailLoading) return;
  detailLoading = true;
  try {
    const { status, body } = await getJson<Detail>(`/api/syscall/${encodeURIComponent(detailName)}`);
    if (status === 200 && body !== undefined) {
      detailCount = body.count;
      renderDetail(app, body);
    } else if (status === 404) {
      document.title = `${detailName} — stracectl`;
      app.replaceChildren(
        h('p', {}, h('a', { href: '/' }, '← all syscalls')),
        h('section', { class: 'panel' }, h('h1', { attrs: { id: 'detail-name' } }, detailName),
          h('p', { class: 'muted', attrs: { id: 'not-seen' } }, 'No calls to this syscall have been seen yet; this page updates when one arrives.')),
      );
    }
  } finally {
    detailLoading = false;
  }
}

// ---------------------------------------------------------------- live stream

function applyStats(stats: Stats[], summary: Summary): void {
  state.stats = stats;
  state.summary = summary;
  renderHeader();
  renderBanner();
  renderCategories();
  renderTable();
  if (detailName !== '') {
    const current = stats.find((s) => s.name === detailName);
    // Refresh the detail page when its syscall changed (recent errors, breakdown, percentiles).
    if (current !== undefined && current.count !== detailCount) void loadDetail(byId('app'));
  }
}

let retryMs = 1000;

function connect(): void {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const socket = new WebSocket(`${scheme}://${location.host}/api/stream`);
  socket.addEventListener('open', () => {
    state.connected = true;
    retryMs = 1000;
    renderHeader();
    renderBanner();
  });
  socket.addEventListener('message', (message) => {
    const data = JSON.parse(String(message.data)) as StreamMessage;
    switch (data.type) {
      case 'hello':
        state.thresholds = data.thresholds;
        applyStats(data.stats, data.summary);
        break;
      case 'stats':
        applyStats(data.stats, data.summary);
        break;
      case 'events':
        state.skipped += data.skipped;
        addEvents(data.events);
        break;
      case 'ended':
        state.summary = data.summary;
        renderHeader();
        renderBanner();
        break;
    }
  });
  socket.addEventListener('close', () => {
    const wasConnected = state.connected;
    state.connected = false;
    renderHeader();
    renderBanner();
    if (!wasConnected) void getJson('/healthz'); // tells an auth failure apart from a server that is gone
    window.setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 10_000);
  });
}

async function main(): Promise<void> {
  const app = byId('app');
  const match = /^\/syscall\/([^/]+)\/?$/.exec(location.pathname);
  if (match?.[1] !== undefined) {
    detailName = decodeURIComponent(match[1]);
    document.title = `${detailName} — stracectl`;
    await loadDetail(app);
  } else {
    buildOverview(app);
    const [stats, log] = await Promise.all([getJson<Stats[]>('/api/stats'), getJson<TraceEvent[]>('/api/log')]);
    if (stats.body !== undefined && state.stats.length === 0) {
      state.stats = stats.body;
      renderTable();
    }
    // Events that arrived over the stream while /api/log was loading are newer: keep them last.
    if (log.body !== undefined) {
      const streamed = state.log;
      state.log = [];
      addEvents([...log.body, ...streamed]);
    }
  }
  connect();
}

void main();
