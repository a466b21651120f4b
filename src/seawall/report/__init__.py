"""Output writers: one module per format, plus the shared output helpers."""
