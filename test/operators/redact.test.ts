import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Observable, from, lastValueFrom, take, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { SyscallEvent, TraceRecord } from '../../src/event.js';
import { parseStrace } from '../../src/operators/parseStrace.js';
import { Redactor, decodeCString, encodeCString, redact, type RedactLevel, type RedactOptions } from '../../src/operators/redact.js';
import { fixturesDir, readEvents } from '../helpers.js';

const LEVELS: readonly RedactLevel[] = ['low', 'medium', 'high'];
const straceDir = join(fixturesDir, 'strace');

/** Parses strace text lines (a fixture excerpt or a line in strace's exact format) into events. */
async function parse(lines: string[]): Promise<SyscallEvent[]> {
  return (await lastValueFrom(from(lines).pipe(parseStrace({ date: '2026-11-27' }), toArray()))) as unknown as SyscallEvent[];
}

/** The event of the first line of a fixture trace matching `pattern`. */
async function fixtureEvent(trace: string, pattern: RegExp): Promise<SyscallEvent> {
  const line = readFileSync(join(straceDir, `${trace}.txt`), 'utf8').split('\n').find((l) => pattern.test(l));
  assert.ok(line, `no line matching ${pattern} in ${trace}`);
  const [event] = await parse([line]);
  assert.ok(event, line);
  return event;
}

const base: SyscallEvent = { pid: 42, name: 'write', args: '', ret: '0', latency_ns: 1000, error: '', timestamp: '2026-11-27T20:53:09.000000Z' };
const ev = (name: string, args: string, extra: Partial<SyscallEvent> = {}): SyscallEvent => ({ ...base, name, args, ...extra });
const redactArgs = (options: RedactOptions, name: string, args: string): string => new Redactor(options).event(ev(name, args)).args;
const allFixtureEvents = async (): Promise<SyscallEvent[]> => {
  const events: SyscallEvent[] = [];
  for (const file of readdirSync(straceDir).filter((f) => f.endsWith('.txt')).sort()) {
    events.push(...(await parse(readFileSync(join(straceDir, file), 'utf8').split('\n'))));
  }
  return events;
};

describe('redact: secrets (every level)', () => {
  const cases: Array<{ name: string; args: string; secrets: string[] }> = [
    { name: 'write', args: '3, "POST /login HTTP/1.1\\r\\nHost: api\\r\\n\\r\\nuser=bob&password=hunter2&remember=1", 60', secrets: ['hunter2'] },
    { name: 'write', args: '3, "GET /v1 HTTP/1.1\\r\\nAuthorization: Bearer abc.def-ghi_jkl\\r\\n\\r\\n", 48', secrets: ['abc.def-ghi_jkl'] },
    { name: 'write', args: '3, "Authorization: Basic dXNlcjpwYXNz\\r\\n", 36', secrets: ['dXNlcjpwYXNz'] },
    { name: 'sendto', args: '5, "{\\"api_key\\": \\"k-12345-abcdef\\", \\"n\\": 1}", 38, 0, NULL, 0', secrets: ['k-12345-abcdef'] },
    {
      name: 'write',
      args: '1, "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U\\n", 100',
      secrets: ['eyJhbGciOiJIUzI1NiJ9', 'dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U'],
    },
    {
      name: 'execve',
      args: '"/usr/bin/aws", ["aws", "s3", "ls"], ["AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "PGPASSWORD=s3cr3t!"] /* 3 vars */',
      secrets: ['AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 's3cr3t!'],
    },
    { name: 'write', args: '1, "id=AKIAIOSFODNN7EXAMPLE key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", 68', secrets: ['AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'] },
    { name: 'execve', args: '"/usr/bin/mysql", ["mysql", "--password", "hunter2", "-h", "db"], 0x7ffc66f3d338 /* 39 vars */', secrets: ['hunter2'] },
    { name: 'connect', args: '3, "postgres://app:Pa55w0rd@db.internal:5432/app", 45', secrets: ['Pa55w0rd'] },
    { name: 'write', args: '4, "-----BEGIN OPENSSH PRIVATE KEY-----\\nb3BlbnNzaC1rZXktdjEAAAAA\\n-----END OPENSSH PRIVATE KEY-----\\n", 100', secrets: ['b3BlbnNzaC1rZXktdjEAAAAA'] },
    // strace -x prints a string with any non-printable byte in hex: it is decoded before matching.
    { name: 'write', args: '1, "\\x70\\x61\\x73\\x73\\x77\\x6f\\x72\\x64\\x3d\\x68\\x75\\x6e\\x74\\x65\\x72\\x32\\x00", 17', secrets: ['hunter2', '\\x68\\x75\\x6e'] },
  ];
  for (const level of LEVELS) {
    it(`masks key=value tokens, bearer/basic headers, JWTs, AWS keys, argv pairs, URL passwords, private keys (${level})`, () => {
      for (const { name, args, secrets } of cases) {
        for (const hash of [false, true]) {
          const out = redactArgs({ level, hash }, name, args);
          for (const secret of secrets) assert.ok(!out.includes(secret), `${level}${hash ? ' --hash' : ''}: ${secret} survived in ${out}`);
          if (level === 'low') assert.match(out, /<secret>/, out);
        }
      }
    });
  }

  it('low keeps the text around a secret, and never hashes a secret', () => {
    assert.equal(redactArgs({ level: 'low' }, 'write', '3, "user=bob&password=hunter2&remember=1", 35'), '3, "user=<user>&password=<secret>&remember=1", 35');
    assert.equal(redactArgs({ level: 'low', hash: true }, 'write', '3, "password=hunter2", 16'), '3, "password=<secret>", 16');
    assert.equal(
      redactArgs({ level: 'low' }, 'write', '3, "GET / HTTP/1.1\\r\\nAuthorization: Bearer abc\\r\\n", 40'),
      '3, "GET / HTTP/1.1\\r\\nAuthorization: Bearer <secret>\\r\\n", 40',
    );
  });

  it('a secret longer than the string limit (strace -s) is masked however it was cut', async () => {
    // strace -s N prints the first N bytes then `"..."...`: try every cut of realistic secret-bearing buffers.
    const buffers = [
      'GET /api/v1/orders HTTP/1.1\r\nAuthorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ\r\n',
      'curl -s https://api.example/v1?api_key=9f8e7d6c5b4a39281706f5e4d3c2b1a0&page=2',
      'export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      '{"username":"bob","password":"correct horse battery staple"}',
      'ghp_0123456789abcdefghijABCDEFGHIJ012345 was pushed',
    ];
    const secretParts = ['eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9', 'eyJzdWIiOiIxIn0', 'c2lnbmF0dXJl', '9f8e7d6c5b4a', 'AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'correct horse', 'ghp_0123456789abcdef'];
    const redactor = new Redactor({ level: 'low' });
    for (const buffer of buffers) {
      for (let limit = 1; limit < buffer.length; limit++) {
        const line = `25195 20:53:09.456187 write(3, "${encodeCString(buffer.slice(0, limit))}"..., ${buffer.length}) = ${buffer.length} <0.000010>`;
        const [event] = await parse([line]);
        const out = redactor.event(event!).args;
        for (const secret of secretParts) {
          // No 6-character piece of a secret may survive any cut.
          for (let start = 0; start + 6 <= secret.length; start++) {
            const piece = secret.slice(start, start + 6);
            if (buffer.slice(0, limit).includes(piece)) assert.ok(!out.includes(piece), `-s ${limit}: "${piece}" survived in ${out}`);
          }
        }
        assert.ok(out.endsWith(`"..., ${buffer.length}`), out);
      }
    }
  });

  it('property: token=/password=/Bearer values of any shape are masked at any cut', () => {
    const redactor = new Redactor({ level: 'low' });
    fc.assert(
      fc.property(
        fc.constantFrom('token=', 'password=', 'Authorization: Bearer ', 'api_key: ', 'client_secret='),
        fc.stringMatching(/^[A-Za-z0-9_.~+/-]{8,60}$/),
        fc.nat(),
        (key, value, cutSeed) => {
          const text = `x ${key}${value}`;
          const cut = key.length + 2 + 1 + (cutSeed % value.length);
          const out = redactor.args(`1, "${encodeCString(text.slice(0, cut))}"..., 200`, 'write');
          const kept = text.slice(key.length + 2, cut);
          // A kept piece made only of dots cannot be told from strace's own `"...` truncation marker.
          return kept.length < 3 || /^\.+$/.test(kept) || !out.includes(kept);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('redact: file paths', () => {
  it('low keeps the basename, medium/high mask the whole path (strings, -y decorations, ret, fd_path)', async () => {
    // The parser keeps `= 3</etc/ld.so.cache>` as ret "3" + ret_path; other sources may leave the decoration in ret or use fd_path.
    const parsed = await fixtureEvent('node_net_dns', /openat\(AT_FDCWD<\/tmp\/stracectl-fixtures>, "\/etc\/ld.so.cache"/);
    assert.equal(parsed.args, 'AT_FDCWD</tmp/stracectl-fixtures>, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC');
    assert.equal(parsed.ret_path, '/etc/ld.so.cache');
    const event = { ...parsed, fd_path: '/etc/ld.so.cache' };
    const decorated = { ...parsed, ret: '3</etc/ld.so.cache>' };
    const low = new Redactor({ level: 'low' }).event(event);
    assert.equal(low.args, 'AT_FDCWD<<dir>/stracectl-fixtures>, "<dir>/ld.so.cache", O_RDONLY|O_CLOEXEC');
    assert.equal(low.ret, '3');
    assert.equal(low.ret_path, '<dir>/ld.so.cache');
    assert.equal(low.fd_path, '<dir>/ld.so.cache');
    assert.equal(new Redactor({ level: 'low' }).event(decorated).ret, '3<<dir>/ld.so.cache>');
    for (const level of ['medium', 'high'] as const) {
      const out = new Redactor({ level }).event(event);
      assert.equal(out.args, 'AT_FDCWD<<path>>, "<path>", O_RDONLY|O_CLOEXEC');
      assert.equal(out.ret_path, '<path>');
      assert.equal(out.fd_path, '<path>');
      assert.equal(new Redactor({ level }).event(decorated).ret, '3<<path>>');
    }
  });

  it('user names inside paths are masked even where the basename is kept; top-level and relative names stay', () => {
    assert.equal(redactArgs({ level: 'low' }, 'openat', 'AT_FDCWD, "/home/alice/.ssh/id_rsa", O_RDONLY'), 'AT_FDCWD, "<dir>/id_rsa", O_RDONLY');
    assert.equal(redactArgs({ level: 'low' }, 'chdir', '"/home/alice"'), '"<dir>/<user>"');
    assert.equal(redactArgs({ level: 'low' }, 'openat', 'AT_FDCWD, "/etc", O_RDONLY'), 'AT_FDCWD, "/etc", O_RDONLY');
    assert.equal(redactArgs({ level: 'low' }, 'openat', 'AT_FDCWD, "notes.txt", O_RDONLY'), 'AT_FDCWD, "notes.txt", O_RDONLY');
    assert.equal(redactArgs({ level: 'low' }, 'read', '0</dev/null<char 1:3>>, "", 10'), '0<<dir>/null<char 1:3>>, "", 10');
  });

  it('a truncated path keeps strace\'s truncation marker', async () => {
    const event = await fixtureEvent('python_sqlite', /^execve\(/);
    const out = new Redactor({ level: 'low' }).event(event).args;
    assert.equal(out, '"<dir>/python3", ["<dir>/python3", "<dir>/programs"..., "<dir>/sqlite"], 0x7fff35c16438 /* 39 vars */');
  });
});

describe('redact: string contents (medium and high)', () => {
  it('masks every non-empty string, keeps "" and the "..." marker', async () => {
    const event = await fixtureEvent('node_net_dns', /write\(1<\/tmp\/stracectl-fixtures\/node_net_dns.stdout>/);
    assert.match(event.args, /"lookup=127\.0\.0\.1 reply=pong:ping"\.\.\./);
    assert.equal(new Redactor({ level: 'medium' }).event(event).args, '1<<path>>, "<str>"..., 58');
    assert.equal(new Redactor({ level: 'low' }).event(event).args, '1<<dir>/node_net_dns.stdout>, "lookup=<ip> reply=pong:ping"..., 58');
    assert.equal(redactArgs({ level: 'medium' }, 'newfstatat', '3</etc/ld.so.cache>, "", {st_mode=S_IFREG|0644, st_size=34731, ...}, AT_EMPTY_PATH'), '3<<path>>, "", {st_mode=S_IFREG|0644, st_size=34731, ...}, AT_EMPTY_PATH');
  });

  it('after medium, no string of any fixture trace keeps its contents', async () => {
    const redactor = new Redactor({ level: 'medium' });
    let strings = 0;
    for (const event of await allFixtureEvents()) {
      const out = redactor.event(event);
      for (const match of out.args.matchAll(/"((?:[^"\\]|\\.)*)"/g)) {
        strings++;
        assert.match(match[1]!, /^(?:|<(?:str|path|ip|secret|user)>)$/, `${event.name}(${event.args}) → ${out.args}`);
      }
    }
    assert.ok(strings > 5000, `only ${strings} strings checked`);
  });
});

describe('redact: addresses', () => {
  it('IPv4 in sockaddr and -yy decorations; ports kept at low, masked from medium', async () => {
    const connect = await fixtureEvent('node_net_dns', /connect\(20<socket:\[42862\]>/);
    assert.equal(new Redactor({ level: 'low' }).event(connect).args, '20<socket:[42862]>, {sa_family=AF_INET, sin_port=htons(39219), sin_addr=inet_addr("<ip>")}, 16');
    assert.equal(new Redactor({ level: 'medium' }).event(connect).args, '20<socket:[42862]>, {sa_family=AF_INET, sin_port=htons(<port>), sin_addr=inet_addr("<ip>")}, 16');
    const pair = await fixtureEvent('python_sqlite', /getsockname\(5<TCP:\[127\.0\.0\.1:33421->127\.0\.0\.1:52136\]>/);
    assert.match(new Redactor({ level: 'low' }).event(pair).args, /^5<TCP:\[<ip>:33421-><ip>:52136\]>, /);
    assert.match(new Redactor({ level: 'medium' }).event(pair).args, /^5<TCP:\[<ip>:<port>-><ip>:<port>\]>, /);
    assert.match(new Redactor({ level: 'high' }).event(await fixtureEvent('python_sqlite', /socketpair\(/)).args, /\[6<UNIX-STREAM:\[<id>-><id>\]>, 7<UNIX-STREAM:\[<id>-><id>\]>\]/);
  });

  it('IPv6 (inet_pton, bracketed in decorations) and resolver config', async () => {
    assert.equal(
      redactArgs({ level: 'medium' }, 'connect', '3, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "2001:db8::1", &sin6_addr), sin6_scope_id=0}, 28'),
      '3, {sa_family=AF_INET6, sin6_port=htons(<port>), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "<ip>", &sin6_addr), sin6_scope_id=0}, 28',
    );
    assert.equal(redactArgs({ level: 'medium' }, 'getpeername', '7<TCPv6:[[::1]:8080->[fe80::1%eth0]:51234]>, {}, [28]'), '7<TCPv6:[[<ip>]:<port>->[<ip>]:<port>]>, {}, [28]');
    const resolv = await fixtureEvent('node_net_dns', /nameserver 10\.255\.255\.53/);
    assert.equal(new Redactor({ level: 'low' }).event(resolv).args, '18<<dir>/resolv.conf>, "nameserver <ip>\\n", 25');
    assert.equal(redactArgs({ level: 'low' }, 'write', '1, "at 20:53:09 std::vector v1.2.3", 30'), '1, "at 20:53:09 std::vector v1.2.3", 30');
  });

  it('no IPv4 address survives in any fixture trace at low', async () => {
    const redactor = new Redactor({ level: 'low' });
    for (const event of await allFixtureEvents()) {
      const out = redactor.event(event);
      assert.doesNotMatch(out.args + out.ret, /\b127\.0\.0\.1\b|\b10\.255\.255\.53\b/, out.args);
    }
  });
});

describe('redact: e-mail addresses and user names', () => {
  it('e-mails, also cut by truncation', () => {
    assert.equal(redactArgs({ level: 'low' }, 'write', '3, "To: alice.smith+ops@example.co.uk\\r\\n", 36'), '3, "To: <email>\\r\\n", 36');
    assert.equal(redactArgs({ level: 'low' }, 'write', '3, "From: bob@exam"..., 80'), '3, "From: <email>"..., 80');
  });

  it('setpriv --reuid=NAME, id(1) output, passwd and group files from the fixtures', async () => {
    const low = new Redactor({ level: 'low' });
    const setpriv = low.event(await fixtureEvent('python_denied_missing', /execve\("\/usr\/bin\/setpriv"/)).args;
    assert.match(setpriv, /"--reuid=<user>", "--regid=<user>", "--clear-groups"/);
    assert.doesNotMatch(setpriv, /nobody|nogroup/);
    assert.equal(low.event(await fixtureEvent('sh_date_id_uname', /write\(1, "uid=0\(root\)/)).args, '1, "uid=0(<user>) gid=0(<user>) groups=0"..., 39');
    assert.equal(low.event(await fixtureEvent('python_denied_missing', /read\(3, "root:x:0:0:/)).args, '3, "<user>:x:0:0:<user>:/root:/bin/bash\\n"..., 4096');
    assert.equal(low.event(await fixtureEvent('python_denied_missing', /read\(3, "root:x:0:\\n/)).args, '3, "<user>:x:0:\\n<user>:x:1:\\n<user>:x:2:\\n<user>"..., 4096');
    assert.equal(low.event(await fixtureEvent('python_denied_missing', /Recorded as: setpriv/)).args, '3, "# Recorded as: setpriv --reuid=<user>"..., 1609');
  });

  it('home directories, USER= and passwd GECOS', () => {
    assert.equal(
      redactArgs({ level: 'low' }, 'execve', '"/bin/sh", ["sh"], ["USER=alice", "HOME=/home/alice", "MAIL=/var/mail/alice", "OLDPWD=/Users/bob/src"]'),
      '"<dir>/sh", ["sh"], ["USER=<user>", "HOME=<dir>/<user>", "MAIL=<dir>/<user>", "OLDPWD=<dir>/src"]',
    );
    assert.equal(redactArgs({ level: 'low' }, 'write', '2, "cd /home/alice && ls /Users/bob/src: not found", 45'), '2, "cd /home/<user> && ls /Users/<user>/src: not found", 45');
    assert.equal(redactArgs({ level: 'low' }, 'read', '3, "alice:x:1000:1000:Alice Smith,,,:/home/alice:/bin/bash\\n", 57'), '3, "<user>:x:1000:1000:<user>:/home/<user>:/bin/bash\\n", 57');
  });
});

describe('redact: numeric identities (high)', () => {
  it('uid/gid/inode/device fields, set*id arguments, get*id returns, socket inodes, signal si_uid', async () => {
    const high = new Redactor({ level: 'high' });
    assert.equal(
      high.event(ev('fstat', '3, {st_dev=makedev(0x8, 0x1), st_ino=1234567, st_mode=S_IFREG|0644, st_nlink=1, st_uid=1000, st_gid=1000, st_size=20604}')).args,
      '3, {st_dev=<id>, st_ino=<id>, st_mode=S_IFREG|0644, st_nlink=1, st_uid=<id>, st_gid=<id>, st_size=20604}',
    );
    assert.equal(high.event(ev('setresuid', '-1, 1000, 1000')).args, '-1, <id>, <id>');
    const getuid = await fixtureEvent('sh_date_id_uname', /getuid\(\)/);
    assert.equal(high.event(getuid).ret, '<id>');
    assert.equal(new Redactor({ level: 'medium' }).event(getuid).ret, '0');
    assert.equal(high.event(await fixtureEvent('node_net_dns', /connect\(20<socket:\[42862\]>/)).args.slice(0, 17), '20<socket:[<id>]>');
    const signal = { type: 'signal', pid: 1, signal: 'SIGCHLD', info: '{si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=25354, si_uid=65534, si_status=255}', timestamp: base.timestamp };
    assert.deepEqual(high.record(signal), { ...signal, info: '{si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=25354, si_uid=<id>, si_status=255}' });
    assert.equal(new Redactor({ level: 'medium' }).record(signal), signal);
  });
});

describe('redact: --pattern', () => {
  it('masks custom patterns in strings (decoded), decorations and plain text', () => {
    const options = { level: 'low' as const, patterns: [/acme-\d{6}/, /tenant_[a-z]+/] };
    assert.equal(redactArgs(options, 'write', '3, "order acme-123456 done", 22'), '3, "order <redacted> done", 22');
    assert.equal(redactArgs(options, 'write', '3, "\\x61\\x63\\x6d\\x65\\x2d\\x31\\x32\\x33\\x34\\x35\\x36\\x00", 12'), '3, "<redacted>\\x00", 12');
    assert.equal(redactArgs(options, 'openat', 'AT_FDCWD</srv/tenant_blue>, "x", 0'), 'AT_FDCWD<<dir>/<redacted>>, "x", 0');
    assert.equal(redactArgs(options, 'ioctl', '3, tenant_red, 0'), '3, <redacted>, 0');
    assert.equal(redactArgs({ ...options, hash: true }, 'write', '3, "acme-123456", 11'), redactArgs({ ...options, hash: true }, 'write', '9, "acme-123456", 11').replace('9,', '3,'));
  });
});

describe('redact --hash', () => {
  const events = [
    ev('openat', 'AT_FDCWD, "/home/alice/notes.txt", O_RDONLY', { ret: '3</home/alice/notes.txt>', fd_path: '/home/alice/notes.txt' }),
    ev('connect', '3, {sa_family=AF_INET, sin_port=htons(5432), sin_addr=inet_addr("10.1.2.3")}, 16'),
    ev('write', '3<TCP:[10.1.2.3:5432->10.9.9.9:40000]>, "SELECT 1", 8'),
  ];

  it('gives <kind:6 hex> that is stable within a run, across runs (new instances) and equal for the same value everywhere', () => {
    const first = events.map((e) => new Redactor({ level: 'medium', hash: true }).event(e));
    const again = events.map((e) => new Redactor({ level: 'medium', hash: true }).event(e));
    assert.deepEqual(again, first);
    const path = /<path:([0-9a-f]{6})>/.exec(first[0]!.args)![0];
    assert.equal(first[0]!.ret, `3<${path}>`);
    assert.equal(first[0]!.fd_path, path);
    assert.equal(first[0]!.args, `AT_FDCWD, "${path}", O_RDONLY`);
    const ip = /<ip:[0-9a-f]{6}>/.exec(first[1]!.args)![0];
    assert.ok(first[2]!.args.startsWith(`3<TCP:[${ip}:<port:`), first[2]!.args);
    const port = /<port:[0-9a-f]{6}>/.exec(first[1]!.args)![0];
    assert.ok(first[2]!.args.includes(`${ip}:${port}->`));
    assert.notEqual(/<ip:[0-9a-f]{6}>/.exec(first[2]!.args.split('->')[1]!)![0], ip, 'different addresses hash differently');
  });

  it('is HMAC-SHA256(salt, kind + NUL + value), first 24 bits: the documented example holds on any machine', () => {
    assert.equal(new Redactor({ level: 'medium', hash: true }).args('AT_FDCWD, "/etc/passwd", O_RDONLY', 'openat'), 'AT_FDCWD, "<path:372f8b>", O_RDONLY');
    assert.equal(new Redactor({ level: 'low', hash: true }).args('AT_FDCWD, "/home/alice/.netrc", O_RDONLY', 'openat'), 'AT_FDCWD, "<dir:2728cb>/.netrc", O_RDONLY');
  });

  it('the salt changes every hash, and a salted hash is stable too', () => {
    const plain = new Redactor({ level: 'medium', hash: true }).event(events[0]!).args;
    const salted = new Redactor({ level: 'medium', hash: true, salt: 'team-secret' }).event(events[0]!).args;
    assert.notEqual(plain, salted);
    assert.match(salted, /^AT_FDCWD, "<path:[0-9a-f]{6}>", O_RDONLY$/);
    assert.equal(new Redactor({ level: 'medium', hash: true, salt: 'team-secret' }).event(events[0]!).args, salted);
  });

  it('low keeps the basename and hashes the directory', () => {
    const out = new Redactor({ level: 'low', hash: true }).event(events[0]!);
    assert.match(out.args, /^AT_FDCWD, "<dir:[0-9a-f]{6}>\/notes\.txt", O_RDONLY$/);
  });
});

describe('redact: nothing else changes', () => {
  const fixture = readEvents(join(fixturesDir, 'ndjson/events.ndjson'));

  for (const level of LEVELS) {
    it(`keeps the count, order, names and every other field; never mutates input (${level})`, async () => {
      const input = structuredClone(fixture) as TraceRecord[];
      const output = (await lastValueFrom(from(input).pipe(redact({ level, hash: true }), toArray()))) as unknown as SyscallEvent[];
      assert.deepEqual(input, fixture, 'input events were mutated');
      assert.equal(output.length, fixture.length);
      let changed = 0;
      output.forEach((event, i) => {
        const original = fixture[i]!;
        const { args: _a, ret, ...rest } = event;
        const { args: _oa, ret: originalRet, ...originalRest } = original;
        assert.deepEqual(rest, originalRest);
        // ret is only touched in its decoration (or as an id at high).
        assert.equal(ret.replace(/<.*>$/, ''), level === 'high' && /^get[e]?[ug]id$/.test(event.name) ? '' : originalRet.replace(/<.*>$/, ''));
        if (event !== input[i]) changed++;
        else assert.equal(event.args, original.args);
      });
      assert.ok(changed > 0 && changed < fixture.length, `${changed} changed`);
    });
  }

  it('meta records pass through as the same object', async () => {
    const meta = { type: 'exit', pid: 1, status: 0, timestamp: base.timestamp };
    const lost = { type: 'lost', count: 3, timestamp: base.timestamp };
    const out = await lastValueFrom(from([meta, lost] as TraceRecord[]).pipe(redact({ level: 'high' }), toArray()));
    assert.equal(out[0], meta);
    assert.equal(out[1], lost);
  });

  it('unknown extra fields pass through untouched', () => {
    const event = ev('openat', 'AT_FDCWD, "/home/alice/x", O_RDONLY', { comm: 'alice-tool', tags: { home: '/home/alice' } });
    const out = new Redactor({ level: 'medium' }).event(event);
    assert.equal(out.comm, 'alice-tool');
    assert.deepEqual(out.tags, { home: '/home/alice' });
  });
});

describe('redact: C string escapes', () => {
  it('decodes strace escapes and re-encodes printable text the way strace prints it', () => {
    assert.equal(decodeCString('a\\nb\\t\\"q\\" \\\\ \\x41\\101\\0'), 'a\nb\t"q" \\ AA\u0000');
    assert.equal(encodeCString('a\nb\t"q" \\ A\u0000\u00e9'), 'a\\nb\\t\\"q\\" \\\\ A\\x00\\xe9');
    fc.assert(fc.property(fc.string({ unit: 'binary-ascii' }), (text) => decodeCString(encodeCString(text)) === text));
  });
});

describe('redact operator', () => {
  it('marble: empty, error, and a synchronous firehose cut by take', async () => {
    new TestScheduler((actual, expected) => assert.deepEqual(actual, expected)).run(({ cold, expectObservable }) => {
      expectObservable(cold<TraceRecord>('--|').pipe(redact({ level: 'medium' }))).toBe('--|');
      expectObservable(cold<TraceRecord>('--#').pipe(redact({ level: 'medium' }))).toBe('--#');
      const a = ev('openat', 'AT_FDCWD, "/etc/passwd", O_RDONLY');
      expectObservable(cold<TraceRecord>('-a-|', { a }).pipe(redact({ level: 'medium' }))).toBe('-a-|', { a: { ...a, args: 'AT_FDCWD, "<path>", O_RDONLY' } });
    });
    let produced = 0;
    const firehose = new Observable<TraceRecord>((subscriber) => {
      for (let i = 0; i < 100_000 && !subscriber.closed; i++, produced++) subscriber.next(ev('write', '1, "password=x", 10'));
    });
    const out = await lastValueFrom(firehose.pipe(redact({ level: 'low' }), take(2), toArray()));
    assert.equal((out[1] as SyscallEvent).args, '1, "password=<secret>", 10');
    assert.ok(produced <= 3, `produced ${produced}`);
  });
});
