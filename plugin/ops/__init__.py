"""Terminology operations: one module each, pure functions over the content (no HTTP here)."""
