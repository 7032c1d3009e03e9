/** The executor launcher on Node through tsrun's addon (build/tsrun-sys.node): test/support/launch-cases.ts. */
import test from 'ava';
import { launchCases } from '../support/launch-cases.js';

launchCases(test, 'addon');
