import test from 'ava';
import { parseCommandLine, recordBuilder } from '../../src/cli/parse.js';

const global = recordBuilder('', (y) => y.option('root', { type: 'string' }).option('debug', { type: 'boolean' }));
const create = recordBuilder('create [id]', (y) =>
  y
    .positional('id', { type: 'string' })
    .option('bundle', { alias: 'b', type: 'string' })
    .option('preserve-fds', { type: 'number', default: 0 })
    .option('no-pivot', { type: 'boolean' })
    .option('env', { alias: 'e', type: 'string', array: true }),
);

test('flags in every form go where they belong, with defaults', (t) => {
  t.deepEqual(parseCommandLine(['--root', '/r', '-b', 'B', '--preserve-fds=2', '--no-pivot', 'ID'], global, create), {
    _: [],
    root: '/r',
    bundle: 'B',
    'preserve-fds': 2,
    'no-pivot': true,
    id: 'ID',
  });
  t.is(parseCommandLine(['ID'], global, create)['preserve-fds'], 0);
  t.is(parseCommandLine(['--debug=false', 'x'], global, create).debug, false);
});

test('ids that look like numbers stay strings; flags after the id still count', (t) => {
  const p = parseCommandLine(['123', '--bundle', 'b'], global, create);
  t.is(p.id, '123');
  t.is(p.bundle, 'b');
});

test('array flags repeat', (t) => {
  t.deepEqual(parseCommandLine(['-e', 'A=1', '--env', 'B=2', '--env=C=3', 'x'], global, create).env, ['A=1', 'B=2', 'C=3']);
});

test('unknown flags, missing values, bad numbers and extra arguments are usage errors', (t) => {
  t.throws(() => parseCommandLine(['--nope', 'x'], global, create), { message: 'flag provided but not defined: --nope' });
  t.throws(() => parseCommandLine(['x', '--bundle'], global, create), { message: 'flag needs an argument: --bundle' });
  t.throws(() => parseCommandLine(['--preserve-fds', 'two', 'x'], global, create), { message: /invalid value "two" for flag --preserve-fds/ });
  t.throws(() => parseCommandLine(['x', 'y'], global, create), { message: 'unexpected argument "y"' });
});

test('-- ends the flags; variadic positionals take the rest', (t) => {
  const v = recordBuilder('checkpoint [args..]');
  t.deepEqual(parseCommandLine(['a', '--', '--b'], global, v).args, ['a', '--b']);
});
