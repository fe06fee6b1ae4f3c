import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LATENCY_BUCKETS_S, MAX_SYSCALL_LABELS, OVERFLOW_LABEL, SyscallMetrics } from '../../src/server/metrics.js';
import { makeEvent } from './support.js';
import { parseExposition, sampleValue } from './promtext.js';

function metricsWith(state = { lost: 0, ended: false }): SyscallMetrics {
  return new SyscallMetrics({ lost: () => state.lost, ended: () => state.ended });
}

describe('SyscallMetrics', () => {
  it('counts calls and errors by errno, labelled by syscall and category', async () => {
    const metrics = metricsWith();
    for (let i = 0; i < 5; i++) metrics.observe(makeEvent({ name: 'openat', category: 'I/O', error: i < 3 ? 'ENOENT' : '', ret: i < 3 ? '-1' : '3' }));
    metrics.observe(makeEvent({ name: 'openat', category: 'I/O', error: 'EACCES', ret: '-1' }));
    metrics.observe(makeEvent({ name: 'connect', category: 'NET', error: 'ECONNREFUSED', ret: '-1' }));
    const samples = parseExposition(await metrics.text());
    assert.equal(sampleValue(samples, 'stracectl_syscalls_total', { syscall: 'openat', category: 'I/O' }), 6);
    assert.equal(sampleValue(samples, 'stracectl_syscalls_total', { syscall: 'connect', category: 'NET' }), 1);
    assert.equal(sampleValue(samples, 'stracectl_syscall_errors_total', { syscall: 'openat', errno: 'ENOENT' }), 3);
    assert.equal(sampleValue(samples, 'stracectl_syscall_errors_total', { syscall: 'openat', errno: 'EACCES' }), 1);
    assert.equal(sampleValue(samples, 'stracectl_syscall_errors_total', { syscall: 'connect', category: 'NET', errno: 'ECONNREFUSED' }), 1);
  });

  it('exports latency as a cumulative histogram in seconds', async () => {
    const metrics = metricsWith();
    const latencies = [500, 3_000, 3_000, 40_000, 7_000_000, 20_000_000_000]; // ns; the last is beyond the top bucket
    for (const latency_ns of latencies) metrics.observe(makeEvent({ name: 'read', category: 'I/O', latency_ns }));
    const samples = parseExposition(await metrics.text());
    const bucket = (le: string): number | undefined => sampleValue(samples, 'stracectl_syscall_latency_seconds_bucket', { syscall: 'read', le });
    assert.equal(bucket('0.000001'), 1);
    assert.equal(bucket('0.000005'), 3);
    assert.equal(bucket('0.00005'), 4);
    assert.equal(bucket('0.005'), 4);
    assert.equal(bucket('0.01'), 5);
    assert.equal(bucket('10'), 5);
    assert.equal(bucket('+Inf'), 6);
    assert.equal(sampleValue(samples, 'stracectl_syscall_latency_seconds_count', { syscall: 'read' }), 6);
    const sum = sampleValue(samples, 'stracectl_syscall_latency_seconds_sum', { syscall: 'read', category: 'I/O' }) ?? NaN;
    assert.ok(Math.abs(sum - latencies.reduce((a, b) => a + b, 0) / 1e9) < 1e-9, String(sum));
    // Buckets never decrease (what histogram_quantile relies on).
    const counts = samples.filter((s) => s.name === 'stracectl_syscall_latency_seconds_bucket').map((s) => s.value);
    assert.equal(counts.length, LATENCY_BUCKETS_S.length + 1);
    for (let i = 1; i < counts.length; i++) assert.ok((counts[i] as number) >= (counts[i - 1] as number));
  });

  it('reports lost events and the end of input at scrape time', async () => {
    const state = { lost: 0, ended: false };
    const metrics = metricsWith(state);
    let samples = parseExposition(await metrics.text());
    assert.equal(sampleValue(samples, 'stracectl_lost_events'), 0);
    assert.equal(sampleValue(samples, 'stracectl_input_ended'), 0);
    state.lost = 17;
    state.ended = true;
    samples = parseExposition(await metrics.text());
    assert.equal(sampleValue(samples, 'stracectl_lost_events'), 17);
    assert.equal(sampleValue(samples, 'stracectl_input_ended'), 1);
  });

  it('escapes hostile label values and caps the number of syscall series', async () => {
    const metrics = metricsWith();
    metrics.observe(makeEvent({ name: 'evil"}\nstracectl_fake 1', error: 'E"X' }));
    for (let i = 0; i < MAX_SYSCALL_LABELS + 10; i++) metrics.observe(makeEvent({ name: `sys_${i}` }));
    const samples = parseExposition(await metrics.text()); // throws on a broken line
    assert.equal(sampleValue(samples, 'stracectl_fake'), undefined);
    assert.equal(sampleValue(samples, 'stracectl_syscalls_total', { syscall: 'evil"}\nstracectl_fake 1' }), 1);
    const series = samples.filter((s) => s.name === 'stracectl_syscalls_total');
    assert.equal(series.length, MAX_SYSCALL_LABELS + 1);
    assert.equal(sampleValue(samples, 'stracectl_syscalls_total', { syscall: OVERFLOW_LABEL }), 11);
    const total = series.reduce((sum, s) => sum + s.value, 0);
    assert.equal(total, MAX_SYSCALL_LABELS + 11);
  });
});
