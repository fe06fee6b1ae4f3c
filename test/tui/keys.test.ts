import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { initialViewState, keysFromInk, reduceKey, type KeyContext, type KeyPress, type ViewState } from '../../src/tui/keys.js';

const context: KeyContext = { rows: ['write', 'fstat', 'openat', 'close'], categories: ['I/O', 'FS'], pageSize: 2, maxScroll: 10 };
const char = (text: string): KeyPress => ({ name: 'char', text });
const run = (state: ViewState, ...keys: KeyPress[]): ViewState => keys.reduce((next, key) => reduceKey(next, key, context), state);
const noKey = { upArrow: false, downArrow: false, pageUp: false, pageDown: false, home: false, end: false, return: false, escape: false, backspace: false, delete: false, ctrl: false };

describe('keysFromInk', () => {
  test('splits keys that arrived in one read and names control characters', () => {
    assert.deepEqual(keysFromInk('jj\r', noKey), [char('j'), char('j'), { name: 'enter' }]);
    assert.deepEqual(keysFromInk('q\u0003', noKey), [char('q'), { name: 'ctrlC' }]);
    assert.deepEqual(keysFromInk('a\u0007', noKey), [char('a'), { name: 'other' }]);
  });

  test('maps ink key flags', () => {
    assert.deepEqual(keysFromInk('', { ...noKey, upArrow: true }), [{ name: 'up' }]);
    assert.deepEqual(keysFromInk('', { ...noKey, delete: true }), [{ name: 'backspace' }], 'DEL from Backspace');
    assert.deepEqual(keysFromInk('c', { ...noKey, ctrl: true }), [{ name: 'ctrlC' }]);
    assert.deepEqual(keysFromInk('x', { ...noKey, ctrl: true }), [{ name: 'other' }]);
  });
});

describe('reduceKey', () => {
  test('moves the selection by name, clamped, with j/k, arrows, pages and g/G', () => {
    const start = initialViewState();
    assert.equal(run(start, char('j')).selected, 'fstat', 'from the shown first row');
    assert.equal(run(start, char('j'), char('j'), { name: 'up' }).selected, 'fstat');
    assert.equal(run(start, char('k')).selected, 'write', 'clamped at the top');
    assert.equal(run(start, { name: 'pageDown' }, { name: 'pageDown' }).selected, 'close', 'clamped at the bottom');
    assert.equal(run(start, char('G')).selected, 'close');
    assert.equal(run(start, char('G'), char('g')).selected, 'write');
  });

  test('s cycles count → errors → err% → avg → p95 → p99 → total → count and resets the selection', () => {
    let state = run(initialViewState(), char('j'));
    const seen: string[] = [];
    for (let i = 0; i < 7; i++) {
      state = run(state, char('s'));
      seen.push(state.sort);
      assert.equal(state.selected, undefined);
    }
    assert.deepEqual(seen, ['errors', 'err%', 'avg', 'p95', 'p99', 'total', 'count']);
  });

  test('/ edits the filter: typed keys (q, p, s included) go in, Backspace removes, Enter keeps, Esc restores', () => {
    let state = run(initialViewState(), char('/'), char('q'), char('p'), char('s'));
    assert.equal(state.filterEditing, true);
    assert.equal(state.filter, 'qps');
    assert.equal(state.quit, false);
    assert.equal(state.paused, false);
    state = run(state, { name: 'backspace' }, { name: 'enter' });
    assert.deepEqual([state.filter, state.filterEditing], ['qp', false]);
    state = run(state, char('/'), char('x'), { name: 'escape' });
    assert.deepEqual([state.filter, state.filterEditing], ['qp', false], 'Esc while typing restores');
    state = run(state, { name: 'escape' });
    assert.equal(state.filter, '', 'Esc in the table clears');
  });

  test('Enter and d open the detail of the selection; Esc, Enter and d close it; ? opens help from anywhere', () => {
    let state = run(initialViewState(), char('j'), { name: 'enter' });
    assert.deepEqual([state.overlay, state.detailName], ['detail', 'fstat']);
    assert.equal(run(state, { name: 'escape' }).overlay, 'none');
    assert.equal(run(state, char('d')).overlay, 'none');
    assert.equal(run(state, { name: 'enter' }).overlay, 'none');
    state = run(state, char('?'));
    assert.equal(state.overlay, 'help');
    assert.equal(run(state, char('?')).overlay, 'none');
    assert.equal(run(initialViewState(), char('d')).detailName, 'write');
    assert.equal(reduceKey(initialViewState(), { name: 'enter' }, { ...context, rows: [] }).overlay, 'none', 'nothing to show');
  });

  test('overlays and the log scroll within their bounds', () => {
    let state = run(initialViewState(), { name: 'enter' }, char('j'), char('j'), char('k'));
    assert.equal(state.scroll, 1);
    state = run(state, char('G'));
    assert.equal(state.scroll, 10);
    state = run(state, { name: 'pageDown' });
    assert.equal(state.scroll, 10);
    let log = run(initialViewState(), char('l'));
    assert.equal(log.mode, 'log');
    log = run(log, char('k'), char('k'));
    assert.equal(log.scroll, 2, 'up goes back in time');
    log = run(log, char('j'), char('j'), char('j'));
    assert.equal(log.scroll, 0, 'never past the newest');
    assert.equal(run(log, char('l')).mode, 'table');
  });

  test('c toggles the category view; Enter there narrows the table to the category', () => {
    let state = run(initialViewState(), char('c'));
    assert.equal(state.mode, 'categories');
    state = run(state, char('j'), { name: 'enter' });
    assert.deepEqual([state.mode, state.category], ['table', 'FS']);
    assert.equal(run(state, { name: 'escape' }).category, undefined);
    assert.equal(run(initialViewState(), char('c'), char('c')).mode, 'table');
    assert.equal(run(initialViewState(), char('c'), { name: 'escape' }).mode, 'table');
  });

  test('p toggles pause, q and Ctrl-C quit (Ctrl-C even while typing a filter)', () => {
    assert.equal(run(initialViewState(), char('p')).paused, true);
    assert.equal(run(initialViewState(), char('p'), char('p')).paused, false);
    assert.equal(run(initialViewState(), char('q')).quit, true);
    assert.equal(run(initialViewState(), char('?'), char('q')).quit, true, 'q from an overlay');
    assert.equal(run(initialViewState(), char('/'), { name: 'ctrlC' }).quit, true);
  });
});
