"""Tests of the service; run them with `pytest`."""
