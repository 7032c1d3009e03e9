/**
 * Run by userns-rootless.test.ts in a child process as a user other than root (root may write
 * anywhere): prints, as JSON, cgroupNotDelegated's verdict (null: delegated) for each list of
 * directories given as JSON in argv[2].
 */
import { cgroupNotDelegated } from '../../src/cgroups/index.js';

const lists = JSON.parse(process.argv[2]!) as string[][];
process.stdout.write(JSON.stringify(lists.map((dirs) => cgroupNotDelegated(dirs) ?? null)));
