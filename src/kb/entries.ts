import type { Category } from '../event.js';

/**
 * The knowledge base, transcribed from the seed's syscall reference
 * (`seed/syscall-reference.txt`): one entry per canonical syscall, in the
 * seed's order. Where the seed gives no arguments, return value, errors or
 * notes, the field is empty rather than invented. Categories and aliases are
 * not repeated here: they come from `aliases.ts`.
 */

export interface SeedArg {
  name: string;
  description: string;
}

export interface SeedError {
  errno: string;
  /** The seed's meaning for this errno in this call; '' where the seed names the errno only. */
  description: string;
}

export interface SeedEntry {
  name: string;
  description: string;
  signature: string;
  args: readonly SeedArg[];
  returns: string;
  errors: readonly SeedError[];
  notes: string;
}

/** Long names of the category labels (seed "Categories at a glance"). */
export const CATEGORY_TITLES: Readonly<Record<Category, string>> = Object.freeze({
  'I/O': 'File descriptor I/O',
  FS: 'Filesystem metadata',
  NET: 'Networking & sockets',
  MEM: 'Memory management',
  PROC: 'Process control',
  SIG: 'Signal handling',
  OTHER: 'Other',
});

const a = (name: string, description: string): SeedArg => ({ name, description });
const e = (errno: string, description = ''): SeedError => ({ errno, description });

export const SEED_ENTRIES: readonly SeedEntry[] = [
  {
    name: 'read',
    description: 'Read bytes from a file descriptor into a buffer.',
    signature: 'read(fd, buf, count) → bytes_read',
    args: [
      a('fd', 'open file descriptor to read from'),
      a('buf', 'destination buffer in user space'),
      a('count', 'maximum number of bytes to read'),
    ],
    returns: 'number of bytes read; 0 = EOF',
    errors: [
      e('EAGAIN', 'non-blocking, no data'),
      e('EBADF', 'bad fd'),
      e('EFAULT', 'bad buffer'),
      e('EINTR', 'interrupted by signal'),
    ],
    notes: 'High read() counts often indicate heavy file or socket data transfer. EAGAIN is expected for non-blocking I/O and is not a real error.',
  },
  {
    name: 'write',
    description: 'Write bytes from a buffer to a file descriptor.',
    signature: 'write(fd, buf, count) → bytes_written',
    args: [
      a('fd', 'open file descriptor to write to'),
      a('buf', 'source buffer in user space'),
      a('count', 'number of bytes to write'),
    ],
    returns: 'number of bytes written',
    errors: [
      e('EAGAIN', 'non-blocking, buffer full'),
      e('EBADF'),
      e('EPIPE', 'peer closed'),
      e('EFAULT'),
    ],
    notes: 'A short write (return < count) can happen on sockets or pipes; callers should loop.',
  },
  {
    name: 'openat',
    description: 'Open or create a file, returning a file descriptor.',
    signature: 'openat(dirfd, pathname, flags, mode) → fd',
    args: [
      a('dirfd', 'AT_FDCWD or directory fd for relative paths'),
      a('pathname', 'path to file'),
      a('flags', 'O_RDONLY, O_WRONLY, O_CREAT, O_TRUNC, …'),
      a('mode', 'permission bits when O_CREAT is used'),
    ],
    returns: 'new file descriptor (≥ 0)',
    errors: [
      e('ENOENT', 'not found'),
      e('EACCES', 'permission denied'),
      e('EMFILE', 'too many open fds'),
      e('EEXIST', 'O_CREAT|O_EXCL'),
    ],
    notes: 'High ENOENT error rates are normal — the dynamic linker probes many paths when loading shared libraries.',
  },
  {
    name: 'close',
    description: 'Close a file descriptor, releasing the kernel resource.',
    signature: 'close(fd) → 0',
    args: [
      a('fd', 'file descriptor to close'),
    ],
    returns: '0',
    errors: [
      e('EBADF', 'fd not open'),
      e('EIO', 'deferred write-back failed — data may be lost'),
    ],
    notes: 'Never ignore EIO on close() — it means buffered data was not written to disk.',
  },
  {
    name: 'pipe',
    description: 'Create a unidirectional data channel between two file descriptors.',
    signature: 'pipe2(pipefd[2], flags) → 0',
    args: [
      a('pipefd', '[0] = read end, [1] = write end'),
      a('flags', 'O_CLOEXEC, O_NONBLOCK, O_DIRECT'),
    ],
    returns: '0',
    errors: [],
    notes: '',
  },
  {
    name: 'dup',
    description: 'Duplicate a file descriptor.',
    signature: 'dup2(oldfd, newfd) → newfd',
    args: [
      a('oldfd', 'fd to duplicate'),
      a('newfd', 'desired fd number (closed first if already open)'),
    ],
    returns: 'new file descriptor',
    errors: [],
    notes: '',
  },
  {
    name: 'sendfile',
    description: 'Transfer data between two file descriptors entirely in kernel space (zero-copy).',
    signature: 'sendfile(out_fd, in_fd, offset, count) → bytes_sent',
    args: [],
    returns: '',
    errors: [],
    notes: 'Data never crosses user space. Used by web servers to send file contents over sockets with minimal overhead.',
  },
  {
    name: 'fcntl',
    description: 'Perform miscellaneous operations on a file descriptor (flags, locks, async I/O).',
    signature: 'fcntl(fd, cmd, arg) → value',
    args: [
      a('cmd', 'F_GETFL, F_SETFL (O_NONBLOCK), F_GETFD, F_SETFD (FD_CLOEXEC), F_DUPFD, F_SETLK, …'),
    ],
    returns: '',
    errors: [],
    notes: '',
  },
  {
    name: 'fstat',
    description: 'Retrieve file metadata (size, permissions, timestamps, inode).',
    signature: 'fstat(fd, statbuf) → 0 / stat(pathname, statbuf) → 0',
    args: [
      a('fd / pathname', 'file descriptor or path to inspect'),
      a('statbuf', 'struct stat to fill in'),
    ],
    returns: '0',
    errors: [
      e('ENOENT', 'path not found'),
      e('EACCES'),
      e('EBADF'),
    ],
    notes: 'High fstat/stat rates are normal when an application polls file state or a web server serves many files.',
  },
  {
    name: 'getdents64',
    description: 'Read directory entries from an open directory file descriptor.',
    signature: 'getdents64(fd, dirp, count) → bytes_read',
    args: [
      a('fd', 'directory fd'),
      a('dirp', 'buffer for linux_dirent64 structs'),
      a('count', 'buffer size'),
    ],
    returns: 'bytes read; 0 = end of directory',
    errors: [
      e('EBADF'),
      e('ENOTDIR', 'fd is not a directory'),
    ],
    notes: 'Used by readdir(3). High counts suggest directory scanning (file watchers, recursive search, find).',
  },
  {
    name: 'access',
    description: 'Check whether the calling process can access a file.',
    signature: 'access(pathname, mode) → 0',
    args: [
      a('pathname', 'path to check'),
      a('mode', 'F_OK (exists?), R_OK, W_OK, X_OK'),
    ],
    returns: '0 if access is allowed',
    errors: [
      e('ENOENT', 'not found — usually harmless'),
      e('EACCES', 'permission denied'),
    ],
    notes: 'High ENOENT rates are expected — programs routinely probe for optional config files. Not a real error.',
  },
  {
    name: 'lseek',
    description: 'Reposition the read/write offset of a file descriptor.',
    signature: 'lseek(fd, offset, whence) → new_offset',
    args: [
      a('whence', 'SEEK_SET (absolute), SEEK_CUR (relative), SEEK_END (from end)'),
    ],
    returns: 'resulting file offset',
    errors: [
      e('ESPIPE', 'fd is a pipe or socket — not seekable'),
      e('EINVAL'),
    ],
    notes: '',
  },
  {
    name: 'statfs',
    description: 'Get filesystem statistics (type, free space, block size, inode counts).',
    signature: 'statfs(pathname, buf) → 0',
    args: [
      a('pathname', 'path on the filesystem to inspect'),
      a('buf', 'struct statfs to fill'),
    ],
    returns: '0',
    errors: [
      e('ENOENT'),
      e('EACCES'),
      e('ENOSYS', 'on special filesystems like /proc'),
    ],
    notes: 'Errors on /proc or /sys are expected — those filesystems may not support statfs.',
  },
  {
    name: 'socket',
    description: 'Create a communication endpoint (socket).',
    signature: 'socket(domain, type, protocol) → fd',
    args: [
      a('domain', 'AF_INET, AF_INET6, AF_UNIX, AF_NETLINK, …'),
      a('type', 'SOCK_STREAM, SOCK_DGRAM, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC'),
      a('protocol', '0 (auto), IPPROTO_TCP, IPPROTO_UDP, …'),
    ],
    returns: 'new socket fd',
    errors: [],
    notes: '',
  },
  {
    name: 'bind',
    description: 'Assign a local address to a socket.',
    signature: 'bind(sockfd, addr, addrlen) → 0',
    args: [
      a('addr', 'local address (port + IP, or Unix socket path)'),
    ],
    returns: '0',
    errors: [
      e('EADDRINUSE', 'port already in use'),
      e('EACCES', 'port < 1024 without CAP_NET_BIND_SERVICE'),
    ],
    notes: '',
  },
  {
    name: 'listen',
    description: 'Mark a socket as passive, ready to accept connections.',
    signature: 'listen(sockfd, backlog) → 0',
    args: [
      a('backlog', 'max length of the pending connection queue'),
    ],
    returns: '0',
    errors: [],
    notes: '',
  },
  {
    name: 'connect',
    description: 'Initiate a connection on a socket.',
    signature: 'connect(sockfd, addr, addrlen) → 0',
    args: [
      a('sockfd', 'open socket fd'),
      a('addr', 'target address (sockaddr_in, sockaddr_un, …)'),
      a('addrlen', 'sizeof(*addr)'),
    ],
    returns: '0 on success',
    errors: [
      e('ECONNREFUSED', 'port closed'),
      e('ETIMEDOUT'),
      e('ENETUNREACH'),
      e('EINPROGRESS', 'non-blocking'),
    ],
    notes: 'Errors are common with Happy Eyeballs (RFC 8305) — both IPv4 and IPv6 are tried in parallel; the loser always fails with ECONNREFUSED or ETIMEDOUT. This is expected behaviour, not a real failure.',
  },
  {
    name: 'accept4',
    description: 'Accept a new incoming connection on a listening socket.',
    signature: 'accept4(sockfd, addr, addrlen, flags) → fd',
    args: [
      a('sockfd', 'listening socket fd'),
      a('addr', 'filled with the peer address'),
      a('flags', 'SOCK_NONBLOCK, SOCK_CLOEXEC'),
    ],
    returns: 'new connected socket fd',
    errors: [
      e('EAGAIN', 'no pending connections, non-blocking'),
      e('EMFILE', 'too many open fds'),
    ],
    notes: '',
  },
  {
    name: 'recvfrom',
    description: 'Receive data from a socket.',
    signature: 'recvfrom(sockfd, buf, len, flags, src_addr, addrlen) → bytes',
    args: [
      a('sockfd', 'connected or unconnected socket'),
      a('buf', 'receive buffer'),
      a('flags', 'MSG_DONTWAIT, MSG_PEEK, MSG_WAITALL, …'),
    ],
    returns: 'bytes received; 0 = peer closed',
    errors: [
      e('EAGAIN', 'non-blocking, no data yet — normal'),
      e('EWOULDBLOCK', 'non-blocking, no data yet — normal'),
      e('ECONNRESET'),
    ],
    notes: 'EAGAIN on a non-blocking socket is not a real error — the event loop will retry when data arrives.',
  },
  {
    name: 'sendto',
    description: 'Send data through a socket.',
    signature: 'sendto(sockfd, buf, len, flags, dest_addr, addrlen) → bytes',
    args: [
      a('sockfd', 'socket fd'),
      a('buf', 'data to send'),
      a('flags', 'MSG_DONTWAIT, MSG_NOSIGNAL, …'),
    ],
    returns: 'bytes sent',
    errors: [
      e('EPIPE', 'peer closed — usually triggers SIGPIPE too'),
      e('EAGAIN'),
      e('ECONNRESET'),
    ],
    notes: '',
  },
  {
    name: 'setsockopt',
    description: 'Set or get socket options (timeouts, buffers, TCP_NODELAY, SO_REUSEADDR, …).',
    signature: 'setsockopt(sockfd, level, optname, optval, optlen) → 0',
    args: [
      a('level', 'SOL_SOCKET, IPPROTO_TCP, IPPROTO_IP, …'),
      a('optname', 'SO_REUSEADDR, SO_KEEPALIVE, TCP_NODELAY, SO_RCVBUF, …'),
    ],
    returns: '',
    errors: [],
    notes: '',
  },
  {
    name: 'getsockname',
    description: 'Get the local (getsockname) or remote (getpeername) address of a socket.',
    signature: 'getsockname(sockfd, addr, addrlen) → 0',
    args: [],
    returns: '',
    errors: [],
    notes: '',
  },
  {
    name: 'epoll_wait',
    description: 'Wait for I/O events on an epoll file descriptor.',
    signature: 'epoll_wait(epfd, events, maxevents, timeout) → n_events',
    args: [
      a('epfd', 'epoll instance fd'),
      a('events', 'array of epoll_event structs to fill'),
      a('maxevents', 'max events to return per call'),
      a('timeout', 'milliseconds to wait (-1 = block indefinitely)'),
    ],
    returns: 'number of ready fds; 0 = timeout',
    errors: [],
    notes: 'The main blocking call in event-driven servers (nginx, Node.js, Go net poller). A high call count means many I/O events are being processed.',
  },
  {
    name: 'epoll_ctl',
    description: 'Add, modify, or remove a file descriptor from an epoll instance.',
    signature: 'epoll_ctl(epfd, op, fd, event) → 0',
    args: [
      a('op', 'EPOLL_CTL_ADD, EPOLL_CTL_MOD, EPOLL_CTL_DEL'),
      a('fd', 'target file descriptor'),
      a('event', 'epoll_event with events mask and user data'),
    ],
    returns: '0',
    errors: [
      e('ENOENT', 'DEL/MOD on fd not registered'),
      e('EEXIST', 'ADD on already registered fd'),
    ],
    notes: '',
  },
  {
    name: 'poll',
    description: 'Wait for events on a set of file descriptors.',
    signature: 'poll(fds, nfds, timeout) → n_ready',
    args: [
      a('fds', 'array of pollfd structs'),
      a('nfds', 'number of fds to monitor'),
      a('timeout', 'milliseconds (-1 = block indefinitely)'),
    ],
    returns: 'number of fds with events; 0 = timeout; -1 = error',
    errors: [],
    notes: '',
  },
  {
    name: 'mmap',
    description: 'Map files or devices into memory, or allocate anonymous memory.',
    signature: 'mmap(addr, length, prot, flags, fd, offset) → addr',
    args: [
      a('addr', 'hint for mapping address (0 = kernel decides)'),
      a('length', 'size in bytes'),
      a('prot', 'PROT_READ | PROT_WRITE | PROT_EXEC'),
      a('flags', 'MAP_PRIVATE, MAP_SHARED, MAP_ANONYMOUS, …'),
      a('fd', 'file to map, or -1 for anonymous'),
      a('offset', 'file offset (must be page-aligned)'),
    ],
    returns: 'virtual address of the mapping',
    errors: [
      e('ENOMEM', 'out of virtual address space'),
      e('EACCES'),
      e('EINVAL'),
    ],
    notes: 'MAP_ANONYMOUS|MAP_PRIVATE is how malloc allocates large blocks from the kernel.',
  },
  {
    name: 'munmap',
    description: 'Remove a memory mapping created by mmap.',
    signature: 'munmap(addr, length) → 0',
    args: [
      a('addr', 'start of the mapping (must be page-aligned)'),
      a('length', 'size to unmap'),
    ],
    returns: '0',
    errors: [
      e('EINVAL', 'addr not aligned or not mapped'),
    ],
    notes: '',
  },
  {
    name: 'mprotect',
    description: 'Change memory protection attributes on a mapped region.',
    signature: 'mprotect(addr, len, prot) → 0',
    args: [
      a('addr', 'page-aligned start address'),
      a('len', 'length in bytes'),
      a('prot', 'PROT_NONE | PROT_READ | PROT_WRITE | PROT_EXEC'),
    ],
    returns: '0',
    errors: [
      e('EACCES', 'e.g. making a file-backed mapping writable without write permission'),
      e('EINVAL'),
    ],
    notes: 'Frequently called by the dynamic linker (ld.so) during library loading — setting sections read-only after relocation is complete.',
  },
  {
    name: 'madvise',
    description: 'Give the kernel hints on expected memory usage patterns.',
    signature: 'madvise(addr, length, advice) → 0',
    args: [
      a('addr', 'page-aligned start'),
      a('length', 'region size'),
      a('advice', 'MADV_NORMAL, MADV_SEQUENTIAL, MADV_DONTNEED, MADV_FREE, …'),
    ],
    returns: '0',
    errors: [
      e('EINVAL', 'unknown advice or bad addr/length'),
      e('EACCES'),
    ],
    notes: 'Errors from madvise are informational — the kernel ignores hints it cannot honour. Not a real failure.',
  },
  {
    name: 'brk',
    description: 'Adjust the end of the data segment (heap boundary).',
    signature: 'brk(addr) → new_brk',
    args: [
      a('addr', 'new end of heap (0 = query current value)'),
    ],
    returns: 'current break address',
    errors: [],
    notes: 'Modern malloc implementations prefer mmap for large allocations. brk is used for the initial small heap.',
  },
  {
    name: 'clone',
    description: 'Create a new process or thread with fine-grained control over shared resources.',
    signature: 'clone(flags, stack, ptid, ctid, regs) → child_pid',
    args: [
      a('flags', 'CLONE_THREAD, CLONE_VM, CLONE_FS, SIGCHLD, …'),
      a('stack', 'new stack pointer for the child (0 = copy parent stack)'),
    ],
    returns: 'child PID in parent; 0 in child',
    errors: [],
    notes: 'pthread_create(3) uses clone with CLONE_THREAD|CLONE_VM. fork(2) uses clone with SIGCHLD only.',
  },
  {
    name: 'execve',
    description: 'Replace the current process image with a new program.',
    signature: 'execve(pathname, argv, envp) → does not return on success',
    args: [
      a('pathname', 'path to the executable'),
      a('argv', 'argument vector (NULL-terminated array of strings)'),
      a('envp', 'environment strings'),
    ],
    returns: 'does not return; -1 on error',
    errors: [
      e('ENOENT', 'not found'),
      e('EACCES', 'not executable'),
      e('ENOEXEC', 'bad ELF'),
      e('ENOMEM'),
    ],
    notes: '',
  },
  {
    name: 'exit_group',
    description: 'Terminate the calling thread (exit) or all threads in the thread group (exit_group).',
    signature: 'exit_group(status) → does not return',
    args: [
      a('status', 'exit code (low 8 bits visible to waitpid)'),
    ],
    returns: '',
    errors: [],
    notes: 'exit_group is what libc exit(3) calls. It ensures all threads in the process terminate cleanly.',
  },
  {
    name: 'wait4',
    description: 'Wait for a child process to change state.',
    signature: 'wait4(pid, status, options, rusage) → child_pid',
    args: [
      a('pid', '-1 = any child; >0 = specific PID'),
      a('options', 'WNOHANG (non-blocking), WUNTRACED, WCONTINUED'),
    ],
    returns: 'PID of the child that changed state; 0 with WNOHANG if none ready',
    errors: [],
    notes: '',
  },
  {
    name: 'getpid',
    description: 'Return the process ID of the calling process.',
    signature: 'getpid() → pid',
    args: [],
    returns: '',
    errors: [],
    notes: 'Modern Linux caches the PID in the vDSO — this syscall may never actually enter the kernel.',
  },
  {
    name: 'getuid',
    description: 'Return the real/effective user or group ID of the calling process.',
    signature: 'getuid() → uid',
    args: [],
    returns: '',
    errors: [],
    notes: 'Very cheap; usually cached by libc. Frequent calls suggest credential-checking code paths.',
  },
  {
    name: 'prctl',
    description: 'Control various process attributes (name, seccomp, capabilities, …).',
    signature: 'prctl(option, arg2, arg3, arg4, arg5) → 0 or value',
    args: [
      a('option', 'PR_SET_NAME, PR_SET_SECCOMP, PR_CAP_AMBIENT, PR_SET_DUMPABLE, …'),
    ],
    returns: '0 or option-specific value',
    errors: [
      e('EPERM', 'capability required'),
      e('EINVAL', 'unknown option'),
    ],
    notes: 'EPERM on prctl is common in containers with restricted capabilities or active seccomp profiles.',
  },
  {
    name: 'prlimit64',
    description: 'Get or set resource limits (CPU time, memory, open files, …) for a process.',
    signature: 'prlimit64(pid, resource, new_limit, old_limit) → 0',
    args: [
      a('resource', 'RLIMIT_NOFILE, RLIMIT_AS, RLIMIT_STACK, RLIMIT_CORE, …'),
      a('pid', '0 = calling process'),
    ],
    returns: '',
    errors: [],
    notes: '',
  },
  {
    name: 'set_tid_address',
    description: 'Set the address that the kernel will clear when the thread exits.',
    signature: 'set_tid_address(tidptr) → tid',
    args: [],
    returns: '',
    errors: [],
    notes: 'Called once at thread startup by glibc. Used for robust futex cleanup on thread exit. Normal to see once per thread.',
  },
  {
    name: 'arch_prctl',
    description: 'Set architecture-specific thread state (e.g. FS/GS segment base for TLS).',
    signature: 'arch_prctl(code, addr) → 0',
    args: [
      a('code', 'ARCH_SET_FS (set FS base for thread-local storage), ARCH_GET_FS, …'),
    ],
    returns: '',
    errors: [],
    notes: 'Called once per thread by glibc to initialise thread-local storage (TLS). Normal during process startup.',
  },
  {
    name: 'rt_sigaction',
    description: 'Install or query a signal handler.',
    signature: 'rt_sigaction(signum, act, oldact, sigsetsize) → 0',
    args: [
      a('signum', 'signal number (SIGINT, SIGSEGV, …)'),
      a('act', 'new sigaction struct (NULL = query only)'),
      a('oldact', 'previous handler (NULL = discard)'),
    ],
    returns: '0',
    errors: [],
    notes: '',
  },
  {
    name: 'rt_sigprocmask',
    description: 'Block, unblock, or query the set of blocked signals.',
    signature: 'rt_sigprocmask(how, set, oldset, sigsetsize) → 0',
    args: [
      a('how', 'SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK'),
      a('set', 'new signal mask (NULL = query only)'),
      a('oldset', 'previous mask'),
    ],
    returns: '',
    errors: [],
    notes: 'Called very frequently by Go and pthreads runtimes around goroutine/thread switches.',
  },
  {
    name: 'eventfd',
    description: 'Create a file descriptor for event notification between threads or processes.',
    signature: 'eventfd2(initval, flags) → fd',
    args: [
      a('initval', 'initial counter value'),
      a('flags', 'EFD_NONBLOCK, EFD_CLOEXEC, EFD_SEMAPHORE'),
    ],
    returns: '',
    errors: [],
    notes: 'Used by the Go runtime and libuv/libevent to wake up blocked pollers without a pipe. More efficient than a pipe pair.',
  },
  {
    name: 'futex',
    description: 'Fast user-space locking primitive — the kernel backing for mutexes and condition variables.',
    signature: 'futex(uaddr, op, val, timeout, uaddr2, val3) → 0 or value',
    args: [
      a('uaddr', 'address of the futex word (shared between threads)'),
      a('op', 'FUTEX_WAIT, FUTEX_WAKE, FUTEX_LOCK_PI, …'),
      a('val', 'expected value (for WAIT) or wake count (for WAKE)'),
    ],
    returns: '',
    errors: [],
    notes: 'Most of the time futex stays in user space with no syscall. A syscall happens only when a thread must actually sleep or be woken. High syscall counts suggest heavy lock contention.',
  },
  {
    name: 'ioctl',
    description: 'Device-specific control operations on a file descriptor.',
    signature: 'ioctl(fd, request, argp) → 0 or value',
    args: [
      a('fd', 'open file descriptor (device, socket, terminal, …)'),
      a('request', 'device-specific command code (TIOCGWINSZ, FIONREAD, …)'),
      a('argp', 'pointer to in/out argument'),
    ],
    returns: '0 or a request-specific value',
    errors: [
      e('ENOTTY', 'fd is not a terminal — very common when stdout is piped'),
      e('EINVAL'),
      e('ENODEV'),
    ],
    notes: 'ENOTTY is expected when the process checks for a TTY but is running under sudo, in a container, or with piped output. Not a real failure.',
  },
  {
    name: 'getrandom',
    description: 'Obtain cryptographically secure random bytes from the kernel entropy pool.',
    signature: 'getrandom(buf, buflen, flags) → bytes_filled',
    args: [
      a('flags', '0 (block until entropy ready), GRND_NONBLOCK, GRND_RANDOM'),
    ],
    returns: 'number of bytes filled',
    errors: [],
    notes: 'The preferred alternative to /dev/urandom. Called at startup by TLS libraries and language runtimes (Go, Python, Node.js) for seed material.',
  },
];
