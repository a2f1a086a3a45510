"""Stageflow: a low-code platform whose apps are JSON metadata interpreted at runtime."""

__version__ = "0.1.0"
