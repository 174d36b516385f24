"""Trauma as Training Data: tiny networks on synthetic data, one module per model."""

__version__ = "0.1.0"
