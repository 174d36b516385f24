"""Trauma as Training Data: tiny networks on synthetic data, one module per model."""

from . import blas

blas.request()  # before torch runs anything: see trauma/blas.py

__version__ = "0.2.0"
