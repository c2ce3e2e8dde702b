"""Allocation: the pure engine in ``engine/`` (no Django) and, beside it, the Django side.

This package imports nothing on purpose, so ``python -m phasetransfer.allocation`` loads
the engine alone, without Django or the database.
"""
