/**
 * The private containerd's config.toml of the tests and the bench: the CRI plugin is off unless
 * asked for, and with CRI settings each handler names its binary and root; the loopback network
 * carries the fixed result containerd 1.6 wants.
 */
import test from 'ava';
import { loopbackCniConfList, privateContainerdConfig } from '../support/containerd-config.js';

const cri = {
  sandboxImage: 'localhost/pause:1',
  handlers: { tsrun: { binary: '/opt/tsrun', root: '/d/root-tsrun' }, runc: { binary: '/usr/sbin/runc', root: '/d/root-runc' } },
  defaultHandler: 'tsrun',
  cniConfDir: '/d/cni',
  cniBinDir: '/usr/lib/cni',
};

test('without CRI settings the CRI plugin is disabled', (t) => {
  const toml = privateContainerdConfig('/d', '/d/sock', 'info');
  t.regex(toml, /disabled_plugins = \["io\.containerd\.grpc\.v1\.cri", /);
  t.notRegex(toml, /sandbox_image/);
});

test('with CRI settings: enabled, one runc-v2 handler per runtime, restrict_oom_score_adj, its own CNI dirs', (t) => {
  const toml = privateContainerdConfig('/d', '/d/sock', 'info', cri);
  t.false(toml.split('\n').find((l) => l.startsWith('disabled_plugins'))!.includes('grpc.v1.cri'));
  t.regex(toml, /sandbox_image = "localhost\/pause:1"/);
  t.regex(toml, /restrict_oom_score_adj = true/);
  t.regex(toml, /default_runtime_name = "tsrun"/);
  for (const [name, h] of Object.entries(cri.handlers)) {
    t.regex(toml, new RegExp(`runtimes\\.${name}\\]\\n  runtime_type = "io\\.containerd\\.runc\\.v2"`));
    t.true(toml.includes(`runtimes.${name}.options]\n  BinaryName = "${h.binary}"\n  Root = "${h.root}"\n  SystemdCgroup = false`));
  }
  t.regex(toml, /bin_dir = "\/usr\/lib\/cni"\n  conf_dir = "\/d\/cni"/);
});

test('the loopback network: loopback alone, with a prevResult that gives eth0 127.0.0.1', (t) => {
  const conf = JSON.parse(loopbackCniConfList('n'));
  t.deepEqual(conf.plugins.map((p: { type: string }) => p.type), ['loopback']);
  const result = conf.plugins[0].prevResult;
  t.is(result.interfaces[result.ips[0].interface].name, 'eth0');
  t.is(result.ips[0].address, '127.0.0.1/8');
});
