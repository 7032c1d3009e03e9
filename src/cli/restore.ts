import { restore } from './unsupported.js';

export default restore;
