"""Text → facts → classification → rules: the per-case pipeline."""
