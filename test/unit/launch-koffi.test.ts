/** The executor launcher on Node through koffi, where the addon is not built: test/support/launch-cases.ts. */
import test from 'ava';
import { launchCases } from '../support/launch-cases.js';

process.env.TSRUN_NO_ADDON = '1'; // read at the first process call, after this line
launchCases(test, 'koffi');
