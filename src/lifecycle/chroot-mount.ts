/**
 * The mounts of a container without a mount namespace: its rootfs bind and everything beneath it
 * live in tsrun's own mount namespace (plan/rootfs.ts), so delete, or a failed create, detaches
 * them. runc leaves them behind.
 */
import { pathExists, removeDir } from '../sys/file.js';
import type { StateStore } from '../state/store.js';

const MNT_DETACH = 2;

/** Detaches the container's rootfs mount point with all beneath it, then removes the folder. */
export async function releaseChrootMount(store: StateStore, id: string): Promise<void> {
  const path = store.chrootMountPath(id);
  // Every container with a mount namespace stops here, at one stat.
  if (!pathExists(path)) return;
  const [{ runExecutor }, { Op }] = await Promise.all([import('../executor/spawn.js'), import('../executor/protocol.js')]);
  await runExecutor(
    {
      ops: [
        { op: Op.CLOEXEC_FROM, args: { fd: 3 } },
        { op: Op.UMOUNT, args: { flags: MNT_DETACH, path } },
        { op: Op.READY, args: {} },
      ],
      extraFds: 0,
      nullStdio: true,
    },
    { onReady: () => undefined },
  );
  // rmdir, never a recursive removal: were the rootfs still bound there, this fails instead.
  removeDir(path);
}
