"""Rule files: load (with line numbers) → validate → parse → compile.

Nothing reaches the engine before every file has passed validation.
"""
