/**
 * Reading bpftrace 0.17's `-f json` lines (shapes copied from real output):
 * exact 64-bit numbers, and strings whose bytes ≥ 0x80 bpftrace writes as
 * `\uffffffXX`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBpftraceLine, unescapeBpftrace } from '../../src/capture/ebpf/output.js';

describe('bpftrace JSON output', () => {
  it('printf lines', () => {
    assert.deepEqual(parseBpftraceLine('{"type": "printf", "data": "F 3 3503652283733\\n"}'), { type: 'printf', text: 'F 3 3503652283733\n' });
  });

  it('decodes bpftrace’s sign-extended \\uffffffXX escapes to the original bytes', () => {
    // os.open(b"/tmp/\xc3\xa9\n") as bpftrace 0.17 printed it.
    assert.deepEqual(unescapeBpftrace('/tmp/\\uffffffc3\\uffffffa9\\n'), Buffer.from([...Buffer.from('/tmp/'), 0xc3, 0xa9, 0x0a]));
    assert.deepEqual(unescapeBpftrace('a\\"b\\\\c\\u0001\\t'), Buffer.from('a"b\\c\u0001\t', 'latin1'));
    assert.deepEqual(unescapeBpftrace('x\\uffffffff\\ufffffffe'), Buffer.from([0x78, 0xff, 0xfe]));
  });

  it('maps: keys as text, tuple values with exact 64-bit numbers, string values as bytes', () => {
    const line = '{"type": "map", "data": {"@sa0": {"17581,3503652283733": [2,36895,16777343,0,18446744073709551615,0]}}}';
    const message = parseBpftraceLine(line);
    assert.ok(message?.type === 'map');
    assert.equal(message.name, 'sa0');
    assert.deepEqual(message.entries, [['17581,3503652283733', ['2', '36895', '16777343', '0', '18446744073709551615', '0']]]);
    const strings = parseBpftraceLine('{"type": "map", "data": {"@sv1": {"13207,3361025038297,1": "/tmp/\\uffffffc3\\uffffffa9\\n", "13207,3361025028938,1": "/etc/passwd"}}}');
    assert.ok(strings?.type === 'map');
    assert.deepEqual(strings.entries, [
      ['13207,3361025038297,1', Buffer.from([...Buffer.from('/tmp/'), 0xc3, 0xa9, 0x0a])],
      ['13207,3361025028938,1', Buffer.from('/etc/passwd')],
    ]);
  });

  it('scalar maps, stats maps, lost events, attached probes', () => {
    assert.deepEqual(parseBpftraceLine('{"type": "map", "data": {"@n0": 400139}}'), { type: 'map', name: 'n0', entries: [['', '400139']] });
    const stats = parseBpftraceLine('{"type": "stats", "data": {"@st": {"0": {"count": 2, "average": 1913, "total": 3827}, "257": {"count": 3, "average": 13317, "total": 39951}}}}');
    assert.ok(stats?.type === 'map');
    assert.deepEqual(stats.entries, [
      ['0', { count: '2', average: '1913', total: '3827' }],
      ['257', { count: '3', average: '13317', total: '39951' }],
    ]);
    assert.deepEqual(parseBpftraceLine('{"type": "lost_events", "data": {"events": 11503}}'), { type: 'lost', count: 11503 });
    assert.deepEqual(parseBpftraceLine('{"type": "attached_probes", "data": {"probes": 7}}'), { type: 'attached', probes: 7 });
  });

  it('printf lines of numbers (calls, ticks) take the fast path; strings are unescaped to their bytes', () => {
    const calls = '{"type": "printf", "data": "E 1 10 2 17581 3503652283733 13 0 -1 1 2 3 4 5 6 17582 3503652288542 257 -2 1548 -100 94000000 524288 0 0 0\\n"}';
    assert.deepEqual(parseBpftraceLine(calls), { type: 'printf', text: 'E 1 10 2 17581 3503652283733 13 0 -1 1 2 3 4 5 6 17582 3503652288542 257 -2 1548 -100 94000000 524288 0 0 0' });
    assert.deepEqual(parseBpftraceLine('{"type": "printf", "data": "P 0 42 123456\\n"}'), { type: 'printf', text: 'P 0 42 123456' });
    const string = parseBpftraceLine('{"type": "printf", "data": "S 1 2 /tmp/a\\"b\\n\\uffffffe9\\n"}');
    assert.deepEqual(string, { type: 'printf', text: `S 1 2 /tmp/a"b\n${String.fromCharCode(0xe9)}\n` });
  });

  it('blank lines are nothing; anything else is passed on as other', () => {
    assert.equal(parseBpftraceLine(''), undefined);
    assert.deepEqual(parseBpftraceLine('Attaching 3 probes...'), { type: 'other', line: 'Attaching 3 probes...' });
    assert.throws(() => parseBpftraceLine('{"type": "printf", "data": "unterminated}'), /bpftrace output/);
  });
});
