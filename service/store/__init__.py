"""The case store: cases and their decisions (SQLite by default)."""
