"""Reproducible matrix products: MKL's conditional numerical reproducibility (CNR).

By default MKL picks its code path for a batched matrix product by the memory
alignment of each matrix, so one network of a stacked ensemble gets slightly
different roundings depending on where it sits in the stack, i.e. on how large the
grid is; chaotic training amplifies these into different results. In CNR's strict
mode (`MKL_CBWR=AUTO,STRICT`) MKL computes each matrix the same way whatever its
alignment, the batch size or the number of threads (checked in tests/), at no cost
in speed here. MKL reads the variable once, at its first use, so
`trauma/__init__.py` sets it (unless it is already set) before torch computes
anything, and the trainer checks that it took effect.

AUTO picks the instruction set of the machine, so a machine with another one
(say AVX2 instead of AVX-512) may round differently: results are bit-reproducible
on one kind of machine, not across kinds.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

VARIABLE, MODE = "MKL_CBWR", "AUTO,STRICT"
_STRICT, _ALL = 0x10000, -1  # MKL_CBWR_STRICT, MKL_CBWR_ALL in mkl_cbwr.h


def request() -> None:
    """Ask MKL for its reproducible mode (effective if MKL has not run yet)."""
    os.environ.setdefault(VARIABLE, MODE)


def mkl_mode() -> int | None:
    """MKL's current CNR mode, or None if this torch build has no MKL."""
    import torch

    try:
        library = ctypes.CDLL(str(Path(torch.__file__).parent / "lib" / "libtorch_cpu.so"))
        get = library.mkl_serv_cbwr_get
    except (OSError, AttributeError):
        return None
    get.restype, get.argtypes = ctypes.c_int, [ctypes.c_int]
    return get(_ALL)


def check() -> None:
    """Raise if MKL is present but not in its strict reproducible mode."""
    mode = mkl_mode()
    if mode is not None and not mode & _STRICT:
        raise RuntimeError(
            f"MKL is not in its strict reproducible mode (mode {mode:#x}), so a network's result would depend on "
            f"the other networks it trains with. MKL started before trauma could set {VARIABLE}={MODE}: import "
            f"trauma before torch runs any matrix product, or start Python with {VARIABLE}={MODE}."
        )


def cores() -> int:
    """The cores this process may use. (Dask starts its workers with OMP_NUM_THREADS=1,
    so a task sets its threads itself.)"""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
