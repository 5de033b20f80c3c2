"""vaelib.allocator: after ``import vaelib`` a freed large tensor does not move glibc's mmap threshold up,
so a later tensor above 16 MB gets its own mapping (returned to the system when freed)."""

import ctypes
import os
import platform
import subprocess
import sys
import textwrap

import pytest

from vaelib import allocator

PROBE = textwrap.dedent(
    """
    import ctypes, sys
    import torch
    if sys.argv[1] == "vaelib":
        import vaelib  # noqa: F401
    class MallInfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in
                    ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]
    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = MallInfo2
    big = torch.empty(30 << 20, dtype=torch.uint8); big.fill_(1); del big  # glibc: threshold rises to 30 MB
    before = libc.mallinfo2().hblkhd
    medium = torch.empty(20 << 20, dtype=torch.uint8); medium.fill_(1)
    print(libc.mallinfo2().hblkhd - before)  # bytes of the 20 MB tensor in its own mapping
    """
)


def _env_without_malloc() -> dict:
    return {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}


def _glibc_with_mallinfo2() -> bool:
    try:
        ctypes.CDLL("libc.so.6").mallinfo2  # noqa: B018 (glibc 2.33 and newer)
    except (OSError, AttributeError):
        return False
    return True


@pytest.mark.skipif(platform.system() != "Linux" or not _glibc_with_mallinfo2(), reason="needs glibc 2.33+ (mallinfo2)")
def test_import_vaelib_keeps_freed_blocks_from_raising_the_mmap_threshold():
    mapped = {
        mode: int(
            subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True).stdout
        )
        for mode in ("torch-only", "vaelib")
    }
    assert mapped["torch-only"] == 0  # glibc's default: the 20 MB tensor came from the (fragmenting) heap
    assert mapped["vaelib"] >= 20 << 20  # with vaelib: its own mapping


def test_limit_heap_fragmentation_reports_whether_it_applied(monkeypatch):
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    assert allocator.limit_heap_fragmentation() is (platform.system() == "Linux" and _glibc_with_mallinfo2())
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "131072")  # binder/start's own setting is left alone
    assert allocator.limit_heap_fragmentation() is False


RELEASE_PROBE = textwrap.dedent(
    """
    import psutil, torch
    from vaelib import allocator
    rss = lambda: psutil.Process().memory_info().rss
    kept, freed = [], []
    for i in range(600):  # 600 blocks of 256 KB (below the mmap threshold: heap), every other one kept
        (kept if i % 2 else freed).append(torch.ones(64 << 10))
    del freed
    before = rss()
    released = allocator.release_free_memory()
    print(released, (before - rss()) >> 20)  # MiB given back
    """
)


@pytest.mark.skipif(platform.system() != "Linux" or not _glibc_with_mallinfo2(), reason="needs glibc")
def test_release_free_memory_hands_freed_heap_pages_back():
    out = subprocess.run([sys.executable, "-c", RELEASE_PROBE], capture_output=True, text=True, check=True).stdout
    released, mib = out.split()
    assert released == "True" and int(mib) >= 40  # about 75 MiB of freed blocks sit between kept ones


def test_install_registers_one_post_cell_release_in_an_ipython_shell():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        allocator.install(shell)
        allocator.install(shell)  # idempotent: importing vaelib twice (or reloading) adds nothing
        assert shell.events.callbacks["post_run_cell"].count(allocator.release_free_memory) == 1
        shell.run_cell("x = 1")  # the callback accepts the result IPython passes it
    finally:
        shell.events.callbacks["post_run_cell"][:] = [
            f for f in shell.events.callbacks["post_run_cell"] if f is not allocator.release_free_memory
        ]
        InteractiveShell.clear_instance()
