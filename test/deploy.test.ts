/**
 * The Kubernetes manifests in deploy/ (and the command lines in the docs):
 * parsed with `yaml`, checked for the fields and capabilities each pattern
 * needs, cross-checked against each other (selectors, ports, config,
 * endpoints), and every `stracectl` command line parsed with the real
 * command's flags by oclif's own parser.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { Parser } from '@oclif/core';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { repoRoot } from './helpers.js';

// ---------------------------------------------------------------------------
// Loading

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const deployDir = join(repoRoot, 'deploy');
const yamlFiles = readdirSync(deployDir).filter((file) => file.endsWith('.yaml')).sort();

function loadDocs(file: string): Doc[] {
  const docs = parseAllDocuments(readFileSync(join(deployDir, file), 'utf8'));
  const list = Array.isArray(docs) ? docs : [docs];
  for (const doc of list) {
    assert.deepEqual(doc.errors.map(String), [], `${file}: YAML errors`);
    assert.deepEqual(doc.warnings.map(String), [], `${file}: YAML warnings`);
  }
  return list.map((doc) => doc.toJS() as Doc).filter((doc) => doc !== null);
}

const manifests = yamlFiles.filter((file) => file !== 'kustomization.yaml').flatMap((file) => loadDocs(file).map((doc) => ({ file, doc })));
const objects = manifests.map(({ doc }) => doc);
const find = (kind: string, name: string): Doc | undefined => objects.find((doc) => doc.kind === kind && doc.metadata?.name === name);
const workloads = objects.filter((doc) => doc.kind === 'Deployment' || doc.kind === 'DaemonSet');
const containersOf = (workload: Doc): Doc[] => workload.spec.template.spec.containers;
const capabilitiesOf = (container: Doc): string[] => container.securityContext?.capabilities?.add ?? [];
const scriptOf = (container: Doc): string => [...(container.command ?? []), ...(container.args ?? [])].join('\n');

// ---------------------------------------------------------------------------
// Command lines

/** The `stracectl …` invocations in a shell script, as argv arrays (quotes removed, variables expanded). */
function stracectlCommands(script: string, variables: Record<string, string>, where: string): string[][] {
  const joined = script.replace(/\\\n\s*/g, ' ');
  const commands: string[][] = [];
  for (const rawLine of joined.split('\n')) {
    const line = rawLine.replace(/^\s*\$\s+/, '').trim();
    if (line.startsWith('#')) continue;
    for (const segment of splitShell(line, variables, where)) {
      const words = segment[0] === 'exec' ? segment.slice(1) : segment;
      if (words[0] === 'stracectl') commands.push(words.slice(1));
    }
  }
  return commands;
}

/** A small shell lexer: words with quotes and $VAR / ${VAR} / $(…) expanded, split at | || && ; &, redirections dropped. */
function splitShell(line: string, variables: Record<string, string>, where: string): string[][] {
  const segments: string[][] = [[]];
  let word: string | undefined;
  const push = () => {
    if (word !== undefined && !/^\d*>/.test(word)) segments.at(-1)!.push(word);
    word = undefined;
  };
  const expand = (name: string): string => {
    const value = variables[name];
    assert.ok(value !== undefined, `${where}: $${name} is neither in the container's env nor a known script variable`);
    return value;
  };
  for (let i = 0; i < line.length; i++) {
    const char = line[i]!;
    if (char === "'") {
      const end = line.indexOf("'", i + 1);
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (char === '"' || char === '$') {
      const quoted = char === '"';
      let j = quoted ? i + 1 : i;
      let text = '';
      while (j < line.length && (quoted ? line[j] !== '"' : j === i)) {
        if (line[j] === '$') {
          const sub = /^\$\(([^)]*)\)/.exec(line.slice(j));
          const braced = /^\$\{(\w+)\}/.exec(line.slice(j));
          const plain = /^\$(\w+)/.exec(line.slice(j));
          if (sub) {
            text += '4242';
            j += sub[0].length;
          } else if (braced || plain) {
            text += expand((braced ?? plain)![1]!);
            j += (braced ?? plain)![0].length;
          } else text += line[j++];
        } else text += line[j++];
      }
      word = (word ?? '') + text;
      i = quoted ? j : j - 1;
    } else if (/\s/.test(char)) {
      push();
    } else if ('|&;'.includes(char) && !(char === '&' && line[i - 1] === '>')) {
      push();
      if (line[i + 1] === char) i++;
      segments.push([]);
    } else {
      word = (word ?? '') + char;
    }
  }
  push();
  return segments.filter((segment) => segment.length > 0);
}

interface CommandClass {
  flags?: Record<string, { char?: string; allowNo?: boolean; type: string }>;
  baseFlags?: Record<string, { char?: string; allowNo?: boolean; type: string }>;
  args?: Record<string, unknown>;
  strict?: boolean;
}

const commandFiles: Record<string, string> = {
  otel: 'plugins/otel/src/commands/otel.ts',
  slack: 'plugins/slack/src/commands/slack.ts',
};

async function commandClass(name: string): Promise<CommandClass> {
  const file = join(repoRoot, commandFiles[name] ?? `src/commands/${name}.ts`);
  assert.ok(existsSync(file), `stracectl ${name}: no such command (${file})`);
  return ((await import(pathToFileURL(file).href)) as { default: CommandClass }).default;
}

/** Parses argv with the command's real flags; unknown flags fail even where the command accepts extra args. */
async function assertRealCommandLine(argv: string[], where: string): Promise<void> {
  const [name, ...rest] = argv;
  const command = await commandClass(name!);
  const flags = { ...command.baseFlags, ...command.flags };
  const beforeDashDash = rest.indexOf('--') === -1 ? rest : rest.slice(0, rest.indexOf('--'));
  for (const token of beforeDashDash) {
    if (!token.startsWith('-') || token === '-') continue;
    const long = /^--(?:no-)?([^=]+)/.exec(token);
    const known = long
      ? Object.entries(flags).some(([flag, spec]) => flag === long[1] && (!token.startsWith('--no-') || spec.allowNo === true || flag === `no-${long[1]}`))
      : [...token.slice(1)].every((char) => Object.values(flags).some((spec) => spec.char === char));
    assert.ok(known, `${where}: stracectl ${name} has no flag ${token}`);
  }
  try {
    await Parser.parse(rest, { flags, args: command.args ?? {}, strict: command.strict !== false } as Parameters<typeof Parser.parse>[1]);
  } catch (error) {
    assert.fail(`${where}: stracectl ${argv.join(' ')}: ${(error as Error).message}`);
  }
}

/** Variables a container script can expand: its env (fieldRefs get a sample value) plus the script's own. */
function variablesOf(container: Doc, own: Record<string, string>): Record<string, string> {
  const variables: Record<string, string> = { ...own };
  for (const env of container.env ?? []) variables[env.name] = env.value ?? (env.valueFrom?.fieldRef ? 'node-1' : '');
  return variables;
}

// ---------------------------------------------------------------------------

describe('deploy/ manifests', () => {
  it('every document is a known kind with apiVersion, name and (for namespaced kinds) a namespace that is defined here', () => {
    const apiVersions: Record<string, string> = { Namespace: 'v1', ConfigMap: 'v1', Service: 'v1', ServiceAccount: 'v1', Deployment: 'apps/v1', DaemonSet: 'apps/v1' };
    const namespaces = new Set(objects.filter((doc) => doc.kind === 'Namespace').map((doc) => doc.metadata.name));
    assert.ok(manifests.length >= 8, `${manifests.length} documents`);
    for (const { file, doc } of manifests) {
      const where = `${file}: ${doc.kind}/${doc.metadata?.name}`;
      assert.equal(doc.apiVersion, apiVersions[doc.kind], `${where}: kind/apiVersion`);
      assert.match(doc.metadata?.name ?? '', /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, `${where}: metadata.name`);
      if (doc.kind !== 'Namespace') assert.ok(namespaces.has(doc.metadata.namespace), `${where}: namespace ${doc.metadata.namespace} is not defined in deploy/`);
    }
  });

  it('workloads: selectors match the pod labels; containers have names, images, resources; probes use declared ports', () => {
    assert.deepEqual(workloads.map((doc) => `${doc.kind}/${doc.metadata.name}`).sort(), ['DaemonSet/stracectl-node', 'Deployment/otel-collector', 'Deployment/web']);
    for (const workload of workloads) {
      const labels = workload.spec.template.metadata.labels;
      for (const [key, value] of Object.entries(workload.spec.selector.matchLabels)) assert.equal(labels[key], value, `${workload.metadata.name}: selector ${key}`);
      for (const container of containersOf(workload)) {
        assert.match(container.name, /^[a-z0-9-]+$/);
        assert.match(container.image, /^[\w./-]+:[\w.-]+$/, `${container.name}: image with a tag`);
        assert.ok(container.resources?.limits?.memory, `${container.name}: memory limit`);
        const portNames = new Set((container.ports ?? []).map((port: Doc) => port.name));
        for (const port of container.ports ?? []) assert.ok(port.name.length <= 15 && Number.isInteger(port.containerPort));
        for (const probe of [container.readinessProbe, container.livenessProbe].filter(Boolean)) assert.ok(portNames.has(probe.httpGet.port), `${container.name}: probe port`);
      }
    }
  });

  it('the sidecar: shared process namespace, SYS_PTRACE, strace backend piped into the otel plugin', () => {
    const web = find('Deployment', 'web')!;
    const pod = web.spec.template.spec;
    assert.equal(pod.shareProcessNamespace, true);
    const sidecar = containersOf(web).find((container) => scriptOf(container).includes('stracectl capture'))!;
    assert.ok(sidecar, 'a container runs stracectl capture');
    assert.ok(containersOf(web).length >= 2, 'the app runs next to the sidecar');
    assert.deepEqual(sidecar.securityContext.capabilities.drop, ['ALL']);
    assert.deepEqual(capabilitiesOf(sidecar), ['SYS_PTRACE']);
    assert.equal(sidecar.securityContext.allowPrivilegeEscalation, false);
    assert.notEqual(pod.hostPID, true, 'a sidecar needs no host PID namespace');
    const script = scriptOf(sidecar);
    assert.match(script, /stracectl capture --backend strace -p "\$pid"[^|]*\|\s*stracectl redact[^|]*\|\s*stracectl otel /);
    assert.match(script, /trap .*TERM/, 'forwards SIGTERM so otel flushes on pod shutdown');
    const namespace = find('Namespace', web.metadata.namespace)!;
    assert.equal(namespace.metadata.labels['pod-security.kubernetes.io/enforce'], 'privileged', 'SYS_PTRACE is outside the baseline Pod Security Standard');
  });

  it('the DaemonSet: host PID namespace, CAP_BPF + CAP_PERFMON (+ SYS_RESOURCE), tracefs/debugfs mounts, eBPF backend into otel', () => {
    const daemonSet = find('DaemonSet', 'stracectl-node')!;
    const pod = daemonSet.spec.template.spec;
    assert.equal(pod.hostPID, true);
    const [container] = containersOf(daemonSet);
    assert.deepEqual([...capabilitiesOf(container!)].sort(), ['BPF', 'PERFMON', 'SYS_RESOURCE']);
    assert.deepEqual(container!.securityContext.capabilities.drop, ['ALL']);
    assert.notEqual(container!.securityContext.privileged, true, 'capabilities, not a privileged container');
    for (const path of ['/sys/kernel/debug', '/sys/kernel/tracing']) {
      const volume = pod.volumes.find((v: Doc) => v.hostPath?.path === path);
      assert.ok(volume, `hostPath volume ${path}`);
      const mount = container!.volumeMounts.find((m: Doc) => m.name === volume.name);
      assert.equal(mount?.mountPath, path, `${path} is mounted at the same place`);
    }
    const script = scriptOf(container!);
    assert.match(script, /stracectl capture --backend ebpf [^|]*\|\s*stracectl redact[^|]*\|\s*stracectl otel /);
    assert.equal(find('Namespace', daemonSet.metadata.namespace)!.metadata.labels['pod-security.kubernetes.io/enforce'], 'privileged');
  });

  it('the collector: its config parses, pipelines use defined components, OTLP/HTTP listens on 4318, the Service selects its pods', () => {
    const configMap = find('ConfigMap', 'otel-collector-config')!;
    const deployment = find('Deployment', 'otel-collector')!;
    const service = find('Service', 'otel-collector')!;
    const [container] = containersOf(deployment);
    const configVolume = deployment.spec.template.spec.volumes.find((v: Doc) => v.configMap?.name === configMap.metadata.name);
    const mount = container!.volumeMounts.find((m: Doc) => m.name === configVolume.name);
    const configArg = (container!.args as string[]).find((arg) => arg.startsWith('--config='))!.slice('--config='.length);
    assert.equal(configArg, `${mount.mountPath}/${Object.keys(configMap.data)[0]}`, '--config points at the mounted ConfigMap key');
    const config = parseYaml(configMap.data[Object.keys(configMap.data)[0]!]) as Doc;
    assert.equal(config.receivers.otlp.protocols.http.endpoint, '0.0.0.0:4318');
    for (const [name, pipeline] of Object.entries(config.service.pipelines) as Array<[string, Doc]>) {
      for (const part of ['receivers', 'processors', 'exporters'] as const) {
        for (const component of pipeline[part] ?? []) assert.ok(config[part]?.[component] !== undefined, `pipeline ${name}: ${part} ${component} is not defined`);
      }
    }
    assert.deepEqual(Object.keys(config.service.pipelines).sort(), ['metrics', 'traces'], 'stracectl otel sends metrics and spans');
    for (const extension of config.service.extensions ?? []) assert.ok(config.extensions?.[extension] !== undefined, `extension ${extension}`);
    for (const [key, value] of Object.entries(service.spec.selector)) assert.equal(deployment.spec.template.metadata.labels[key], value, `Service selector ${key}`);
    const containerPorts = new Map((container!.ports as Doc[]).map((port) => [port.name, port.containerPort]));
    for (const port of service.spec.ports as Doc[]) assert.equal(containerPorts.get(port.targetPort), port.port, `Service port ${port.name}`);
    assert.ok((service.spec.ports as Doc[]).some((port) => port.port === 4318));
  });

  it('every OTLP endpoint in a stracectl container reaches the collector Service', () => {
    let endpoints = 0;
    for (const workload of workloads) {
      for (const container of containersOf(workload)) {
        for (const env of container.env ?? []) {
          if (!/ENDPOINT/.test(env.name)) continue;
          endpoints++;
          const url = new URL(env.value);
          const [name, namespace, svc] = url.hostname.split('.');
          assert.equal(svc, 'svc', env.value);
          const service = find('Service', name!);
          assert.ok(service && service.metadata.namespace === namespace, `${env.value}: no Service ${name} in ${namespace}`);
          assert.ok(service.spec.ports.some((port: Doc) => port.port === Number(url.port)), `${env.value}: port`);
        }
      }
    }
    assert.equal(endpoints, 2);
  });

  it('every stracectl command line uses real commands and flags', async () => {
    let checked = 0;
    for (const workload of workloads) {
      for (const container of containersOf(workload)) {
        const variables = variablesOf(container, { pid: '4242', pids: '4242,4243' });
        for (const argv of stracectlCommands(scriptOf(container), variables, `${workload.metadata.name}/${container.name}`)) {
          await assertRealCommandLine(argv, `${workload.metadata.name}/${container.name}`);
          checked++;
        }
      }
    }
    assert.equal(checked, 6, 'capture | redact | otel in the sidecar and in the DaemonSet');
  });

  it('the flag check catches a wrong flag or value (it can fail)', async () => {
    const wrong = [['capture', '--backend', 'ebpf', '-p', '1', '--follw'], ['otel', '--endpointt', 'http://x:4318'], ['redact', '--level', 'extreme'], ['capture', '--backend', 'bpf', '-p', '1'], ['nosuchcommand']];
    for (const argv of wrong) await assert.rejects(assertRealCommandLine(argv, 'test'), argv.join(' '));
    await assertRealCommandLine(['capture', '--backend', 'ebpf', '--no-normalize', '-f', '-p', '1,2'], 'test');
    assert.deepEqual(splitShell(`a "b $X" 'c $Y' 2>/dev/null | d >&2 && e $(f x || y)`, { X: '1' }, 'test'), [['a', 'b 1', 'c $Y'], ['d'], ['e', '4242']]);
  });

  it('kustomization.yaml lists every manifest and maps the stracectl image', () => {
    const kustomization = parseYaml(readFileSync(join(deployDir, 'kustomization.yaml'), 'utf8')) as Doc;
    assert.deepEqual([...kustomization.resources].sort(), yamlFiles.filter((file) => file !== 'kustomization.yaml'));
    const images = new Set(workloads.flatMap((workload) => containersOf(workload).map((container) => container.image.split(':')[0])));
    assert.ok(images.has('stracectl'));
    assert.ok(kustomization.images.some((image: Doc) => image.name === 'stracectl'));
  });

  it('the image (deploy/Dockerfile) has the tracers and the tools the scripts call', () => {
    const dockerfile = readFileSync(join(deployDir, 'Dockerfile'), 'utf8');
    for (const tool of ['strace', 'bpftrace', 'procps']) assert.match(dockerfile, new RegExp(`apt-get install[^\\n]*\\b${tool}\\b`), tool);
    assert.match(dockerfile, /^FROM node:20-/m);
    assert.match(dockerfile, /ln -s \/opt\/stracectl\/bin\/run\.js \/usr\/local\/bin\/stracectl/);
    for (const workload of workloads.filter((w) => w.metadata.name !== 'otel-collector')) {
      for (const container of containersOf(workload).filter((c) => c.image.startsWith('stracectl:'))) assert.match(scriptOf(container), /\bpgrep\b/);
    }
  });
});

describe('docs', () => {
  for (const doc of ['docs/kubernetes.md', 'docs/security.md']) {
    it(`${doc}: every stracectl command line in a code block uses real flags`, async () => {
      const text = readFileSync(join(repoRoot, doc), 'utf8');
      const blocks = [...text.matchAll(/```(?:sh|bash|console|shell)\n([\s\S]*?)```/g)].map((match) => match[1]!);
      let checked = 0;
      for (const block of blocks) {
        const variables = new Proxy({} as Record<string, string>, { get: () => '4242' });
        for (const argv of stracectlCommands(block, variables, doc)) {
          await assertRealCommandLine(argv, doc);
          checked++;
        }
      }
      assert.ok(checked >= 3, `${doc}: only ${checked} stracectl command lines found`);
    });
  }
});
