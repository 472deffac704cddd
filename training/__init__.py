"""Training and evaluation of the issue-type classifier (`triage train`, `triage evaluate`)."""
