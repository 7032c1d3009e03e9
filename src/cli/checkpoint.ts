import { checkpoint } from './unsupported.js';

/** podman probes `checkpoint --help` for support: exit non-zero until it exists. */
export default checkpoint;
