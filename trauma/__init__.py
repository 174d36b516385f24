"""Trauma as Training Data: tiny networks on synthetic data, one module per model."""

from .numerics import blas

blas.request()  # before torch runs anything: see trauma/numerics/blas.py

__version__ = "0.2.0"
