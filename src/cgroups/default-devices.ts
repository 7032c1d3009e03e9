/**
 * The device rules every container gets after its own `linux.resources.devices` (runc's
 * AllowedDevices, plus /dev/console as crun has it). With the implicit deny-all baseline, these
 * are the only devices a container can use unless its config allows more.
 */
import type { DeviceRule } from './devices-rules.js';

const WILDCARD = -1;

export const DEFAULT_ALLOWED_DEVICES: readonly DeviceRule[] = Object.freeze([
  // mknod of any device node (using it still needs r/w below)
  { allow: true, type: 'c', major: WILDCARD, minor: WILDCARD, access: 'm' },
  { allow: true, type: 'b', major: WILDCARD, minor: WILDCARD, access: 'm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, // /dev/null
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' }, // /dev/random
  { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' }, // /dev/full
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' }, // /dev/tty
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' }, // /dev/zero
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' }, // /dev/urandom
  { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' }, // /dev/console
  { allow: true, type: 'c', major: 136, minor: WILDCARD, access: 'rwm' }, // /dev/pts/*
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' }, // /dev/ptmx
  { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' }, // /dev/net/tun
] as DeviceRule[]);
