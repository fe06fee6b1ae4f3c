import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeControl, formatEntry, formatList, wrapText } from '../../src/kb/format.js';
import { listEntries, lookup } from '../../src/kb/index.js';

const ANSI = /\u001b\[/;
const widthOf = (line: string): number => [...line.replace(/\u001b\[[0-9;]*m/g, '')].length;

describe('formatEntry', () => {
  it('prints every section of a full entry, in order', () => {
    const text = formatEntry(lookup('connect'), { width: 80, color: false });
    const headings = text.split('\n').filter((l) => /^[A-Z][A-Z ]+$/.test(l));
    assert.deepEqual(headings, ['DESCRIPTION', 'SIGNATURE', 'ARGUMENTS', 'RETURNS', 'COMMON ERRORS', 'NOTES', 'ALIASES', 'CATEGORY']);
    assert.match(text, /^connect\n/);
    assert.match(text, /\n {2}ECONNREFUSED {2}port closed\n/);
    assert.match(text, /\n {2}addrlen {2}sizeof\(\*addr\)\n/);
    assert.match(text, /CATEGORY\n {2}NET — Networking & sockets\n$/);
    assert.doesNotMatch(text, ANSI);
  });

  it('leaves out sections the seed does not give, keeps aliases and category', () => {
    const text = formatEntry(lookup('getsockname'), { width: 80, color: false });
    assert.doesNotMatch(text, /ARGUMENTS|RETURNS|COMMON ERRORS|NOTES/);
    assert.match(text, /ALIASES\n {2}getpeername\n/);
  });

  it('wraps every line to the width, with a hanging indent in tables', () => {
    for (const width of [40, 60, 100]) {
      for (const entry of listEntries()) {
        for (const line of formatEntry(entry, { width, color: true }).split('\n')) {
          assert.ok(widthOf(line) <= width, `${entry.name} @${width}: "${line}"`);
        }
      }
    }
    const lines = formatEntry(lookup('close'), { width: 40, color: false }).split('\n');
    const eio = lines.findIndex((l) => l.startsWith('  EIO'));
    assert.match(lines[eio + 1] ?? '', /^ {9}\S/); // continuation aligned under the description
  });

  it('colours only when asked', () => {
    assert.match(formatEntry(lookup('read'), { width: 80, color: true }), ANSI);
    assert.doesNotMatch(formatList(listEntries(), { width: 80, color: false }), ANSI);
  });

  it('escapes control characters of a user-typed name', () => {
    const text = formatEntry(lookup('evil\u001b[2Jname'), { width: 80, color: false });
    assert.doesNotMatch(text, ANSI);
    assert.match(text, /evil\\x1b\[2jname/);
    assert.equal(escapeControl('a\u0007b\u009bc'), 'a\\x07b\\x9bc');
  });
});

describe('formatList', () => {
  it('groups every entry under its category heading', () => {
    const lines = formatList(listEntries(), { width: 120, color: false }).split('\n');
    const headings = lines.filter((l) => /^\S/.test(l));
    assert.deepEqual(headings, ['I/O — File descriptor I/O', 'FS — Filesystem metadata', 'NET — Networking & sockets', 'MEM — Memory management', 'PROC — Process control', 'SIG — Signal handling', 'OTHER — Other']);
    assert.equal(lines.filter((l) => /^ {2}\S/.test(l)).length, 46);
    assert.ok(lines.includes('  openat    Open or create a file, returning a file descriptor. (also: open)'));
  });
});

describe('wrapText', () => {
  it('wraps greedily and cuts words longer than the width', () => {
    assert.deepEqual(wrapText('aaa bbb ccc', 7), ['aaa bbb', 'ccc']);
    assert.deepEqual(wrapText('abcdefghij', 4), ['abcd', 'efgh', 'ij']);
    assert.deepEqual(wrapText('', 10), ['']);
  });
});
