/**
 * Shell-style glob → RegExp, with `find -path` semantics: `*` and `?` also
 * match `/`, so `--path '*.so*'` finds `/lib/x86_64-linux-gnu/libc.so.6`.
 * `[abc]`, `[!a-z]` classes are supported; everything else is literal.
 */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i]!;
    if (char === '*') {
      while (glob[i + 1] === '*') i++;
      source += '.*';
    } else if (char === '?') {
      source += '.';
    } else if (char === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close === -1) {
        source += '\\[';
        continue;
      }
      let body = glob.slice(i + 1, close);
      if (body.startsWith('!')) body = '^' + body.slice(1);
      source += '[' + body.replace(/\\/g, '\\\\') + ']';
      i = close;
    } else {
      source += char.replace(/[.+^${}()|\\\]]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`, 's');
}

/**
 * The paths an argument string mentions: every quoted string and every
 * `-y` decoration (`3</etc/passwd>`), without quotes or brackets.
 */
export function pathsInArgs(args: string): string[] {
  const paths: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const char = args[i];
    if (char === '"') {
      let end = i + 1;
      let text = '';
      while (end < args.length && args[end] !== '"') {
        if (args[end] === '\\' && end + 1 < args.length) {
          text += args[end + 1];
          end += 2;
        } else {
          text += args[end++];
        }
      }
      paths.push(text);
      i = end;
    } else if (char === '<' && i > 0 && /[0-9A-Z]/.test(args[i - 1] ?? '')) {
      const end = args.indexOf('>', i);
      if (end === -1) break;
      paths.push(args.slice(i + 1, end));
      i = end;
    }
  }
  return paths;
}
