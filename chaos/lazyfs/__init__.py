"""A lazy filesystem: what a power cut takes, on a filesystem that a stack really runs on.

Why: ``host-kill`` is SIGKILL of every process, and the kernel keeps every write still in
its page cache: a stack that never calls fsync loses nothing that a real power cut would
take. Jepsen answers this with LazyFS (a FUSE filesystem that holds written data until
fsync); LazyFS is C++ built from source, which no registry here ships, so this is the same
idea in Python on libfuse 3 (``mfusepy``), with the model below.

A mount has two directories behind it: ``live`` (what processes read and write: every
operation passes through to it) and ``durable`` (what a disk would hold after a cut).
The model is ext4's with ``data=ordered`` and delayed allocation, in the worst case a real
cut can hit (before the kernel's own writeback, 5 to 30 s after a write):

- A file's data (``write``, ``truncate``) reaches ``durable`` only when that file is
  synced (``fsync``/``fdatasync``, ``msync`` of a mapping).
- Namespace changes (create, mkdir, unlink, rmdir, rename, link, symlink, chmod, chown)
  are a journal: they reach ``durable``, in order and all of them, at the next commit. A
  commit is any ``fsync``/``fdatasync`` of a file or of a directory in the mount (ext4
  commits its running transaction, which holds every earlier namespace change). So a
  file created and written, then never synced, is there after a cut if a later sync of
  anything committed its creation, and empty (ext4's zero-length file); a ``rename``
  without a sync after it is undone by the cut (the old name and content come back).
  POSIX promises less (only the synced file's data); ext4 does this, and ext4 without
  ``auto_da_alloc`` does not flush a renamed file's data for it either.
- ``power-cut`` (``LazyMount.cut``): everything not yet in ``durable`` is dropped; ``live``
  becomes a copy of ``durable`` (contents, modes, owners, times), and the report says what
  was dropped (namespace changes, files with unsynced data, bytes).

``syncfs``/``sync`` are not seen by a FUSE filesystem (the kernel does not forward them):
a stack that relies on ``sync`` alone loses its data here, as it would on a kernel that
did not flush before the cut. Modules: ``journal`` (the model, no FUSE), ``passthrough``
(the FUSE operations), ``control`` (the daemon's socket), ``mount`` (start, cut, stop).
"""
