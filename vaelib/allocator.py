"""Keep a lesson's memory from creeping up: return freed memory to the system (glibc only).

Two habits of glibc's allocator keep a notebook kernel's resident memory near its high-water mark:

- It raises its mmap threshold to the size of the largest block freed so far (up to 32 MiB), so after
  the first big tensor of a lesson is freed, later tensors of many MB come from the heap, which
  fragments. :func:`limit_heap_fragmentation` fixes the threshold at 16 MiB: every larger block gets its
  own mapping, unmapped when freed. Not lower: each new mapping is zero-filled page by page, and
  tensors of a few MB allocated at every step of a loop (notebook 09's posterior fits) then cost time.
- Freed small blocks in the middle of the heap stay resident. :func:`release_free_memory` hands them
  back (``malloc_trim(0)``); in a notebook it runs after every cell.

Measured on notebook 09, the kernel's peak resident memory and the run's wall time (MB = 10^6 bytes;
``benchmarks/course_runtime.py --local --only 09-coll --no-write``, the threshold set through
MALLOC_MMAP_THRESHOLD_, 2026-12-02): glibc's default 890 MB (first profile); threshold 1 MiB 587 MB and
76 s; 16 MiB 696 MB and 56 s; 32 MiB 771 MB and 56 s. At 1 MiB its posterior fits (inference.fit_posterior,
100 images) took 17 s instead of 11-12 s at 16 MiB or more. Binder allows 2 GB for the JupyterLab server
and all its kernels together: there binder/start sets a lower threshold through the environment, which
wins, and trades time for memory (benchmarks/results/course_runtime.md, binder mode).

``import vaelib`` calls :func:`install` once. These are process-wide allocator settings (not Python
state) with no effect on any result, and nothing happens where the C library is not glibc.
"""

from __future__ import annotations

import ctypes
import functools
import os

M_MMAP_THRESHOLD = -3  # mallopt parameter number in glibc's malloc.h
THRESHOLD_BYTES = 16 << 20


@functools.cache
def _glibc():  # loaded once: release_free_memory runs after every cell
    try:
        libc = ctypes.CDLL("libc.so.6")
        return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except OSError:  # macOS, Windows, musl
        return None


def limit_heap_fragmentation(threshold_bytes: int = THRESHOLD_BYTES) -> bool:
    """Fix glibc's mmap threshold at ``threshold_bytes``; True if set. False where glibc is absent, or
    where the environment already sets it (``MALLOC_MMAP_THRESHOLD_``, as binder/start does): that wins."""
    libc = _glibc()
    if libc is None or "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return False
    return bool(libc.mallopt(M_MMAP_THRESHOLD, threshold_bytes))


def release_free_memory(*_) -> bool:
    """Give freed heap pages back to the system (glibc's ``malloc_trim(0)``); True if any were.

    Takes and ignores arguments, so that it can serve as an IPython ``post_run_cell`` callback.
    """
    libc = _glibc()
    return bool(libc and libc.malloc_trim(0))


def install(shell=None) -> None:
    """Fix the mmap threshold and, inside IPython/Jupyter, release free memory after every cell (once)."""
    limit_heap_fragmentation()
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:  # plain Python: no cells
            return
        shell = get_ipython()
    if shell is not None and release_free_memory not in shell.events.callbacks["post_run_cell"]:
        shell.events.register("post_run_cell", release_free_memory)
