"""Constant-filled columns that cost nothing until they are written.

A registry file carries a fraction of the canonical schema: a SEER load of a million patients
has 56 all-missing canonical columns, which as ordinary arrays are 180 MB of NaN, NaT and masks
written on every load (measured: about a third of the whole load time, nearly all of it in page
faults). :func:`filled_arrays` gives ``count`` arrays of one constant that share one set of
memory pages *copy-on-write*: a read-only template (a memory file holding the constant once) is
mapped privately once per array, so nothing is copied until a cell is written, and a write copies
only the 4 KiB page it lands on. A constant of zero bytes (0, False) needs no template: it is an
anonymous private mapping, which the kernel zero-fills page by page on first touch. The arrays are ordinary writable numpy arrays: pandas, pickling
and in-place assignment behave as for :func:`numpy.full`, and writing into one never changes
another.

numpy has no such allocation (``np.full`` writes every byte; ``np.zeros`` is lazy only for
zero bytes, and NaN, NaT and True are not zero bytes), so it is built here from the operating
system's primitives: ``memfd_create`` and ``mmap(MAP_PRIVATE)`` through :mod:`ctypes` (Python's
own :class:`mmap.mmap` keeps a duplicate file descriptor open per mapping, which would exhaust the
descriptor limit after a few dozen loads). Where these are unavailable (not Linux) or the mapping
fails, it falls back to :func:`numpy.full`, with identical results. A mapping is released when the
last array using it is garbage-collected.
"""

from __future__ import annotations

import ctypes
import mmap
import os
import weakref

import numpy as np

__all__ = ["filled_arrays"]

#: Below this size per array, :func:`numpy.full` is cheaper than a mapping.
_MIN_BYTES = 1 << 18

_PROT_READ_WRITE = getattr(mmap, "PROT_READ", 1) | getattr(mmap, "PROT_WRITE", 2)
_MAP_PRIVATE = getattr(mmap, "MAP_PRIVATE", 2)
_MAP_ANONYMOUS = getattr(mmap, "MAP_ANONYMOUS", 0x20)
_MAP_FAILED = ctypes.c_void_p(-1).value


def _libc() -> ctypes.CDLL | None:
    if not hasattr(os, "memfd_create"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.mmap.restype = ctypes.c_void_p
        libc.mmap.argtypes = [
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_int,
            ctypes.c_int,
            ctypes.c_int,
            ctypes.c_long,
        ]
        libc.munmap.restype = ctypes.c_int
        libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _libc()


def _template(n: int, dtype: np.dtype, value: object) -> int:
    """A memory file holding ``n`` copies of ``value``; returns its descriptor."""
    fd = os.memfd_create("crlm-filled", getattr(os, "MFD_CLOEXEC", 0))
    try:
        block = np.full(min(n, 1 << 17), value, dtype=dtype).tobytes()
        total = n * dtype.itemsize
        offset = 0
        while offset < total:
            offset += os.pwrite(fd, block[: total - offset], offset)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _map(fd: int, n: int, dtype: np.dtype) -> np.ndarray | None:
    """A private (copy-on-write) mapping of the template as a writable array; ``fd`` -1 maps
    anonymous memory, which the kernel fills with zero bytes on first touch."""
    assert _LIBC is not None
    size = n * dtype.itemsize
    flags = _MAP_PRIVATE | (_MAP_ANONYMOUS if fd == -1 else 0)
    addr = _LIBC.mmap(None, size, _PROT_READ_WRITE, flags, fd, 0)
    if addr is None or addr == _MAP_FAILED:
        return None
    buffer = (ctypes.c_char * size).from_address(addr)
    release = weakref.finalize(buffer, _LIBC.munmap, addr, size)
    release.atexit = False  # at exit, arrays may outlive the finalizers: let the OS unmap
    return np.frombuffer(memoryview(buffer), dtype=dtype)


def filled_arrays(
    n: int, dtype: np.dtype | str | type, value: object, count: int
) -> list[np.ndarray]:
    """``count`` independent writable arrays of ``n`` copies of ``value``.

    Parameters
    ----------
    n
        Length of each array.
    dtype
        numpy dtype of the arrays.
    value
        The constant (``np.nan``, ``np.datetime64("NaT")``, ``True``, ``-1``, ...).
    count
        How many arrays.

    Returns
    -------
    list of numpy.ndarray
        Equal in every way that numpy and pandas observe to ``count`` calls of
        ``np.full(n, value, dtype)``; large ones share their pages until written.
    """
    dtype = np.dtype(dtype)
    if count <= 0:
        return []
    if _LIBC is None or n * dtype.itemsize < _MIN_BYTES or dtype.hasobject:
        return [np.full(n, value, dtype=dtype) for _ in range(count)]
    zero = not np.full(1, value, dtype=dtype).tobytes().strip(b"\0")
    try:
        fd = -1 if zero else _template(n, dtype, value)  # zeros need no template
    except OSError:
        return [np.full(n, value, dtype=dtype) for _ in range(count)]
    try:
        out = []
        for _ in range(count):
            arr = _map(fd, n, dtype)
            out.append(arr if arr is not None else np.full(n, value, dtype=dtype))
        return out
    finally:
        if fd != -1:
            os.close(fd)  # the mappings keep the memory file alive
