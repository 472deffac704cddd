"""Risk triage and routing for Chinese petitions (信访) and citizen complaints."""

__version__ = "0.1.0"
