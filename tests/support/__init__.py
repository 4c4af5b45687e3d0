"""Shared test support: model generation, the TFLM oracle and our engine's host runner."""
