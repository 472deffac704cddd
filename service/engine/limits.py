"""What durable-rules can take, as measured (../shared/DURABLE_RULES_NOTES.md); the loader refuses more.

durable-rules hangs at 512 rules testing one attribute against constants, and
rejects messages with more than ~252 properties; the limits stay well clear of both.
"""

MAX_RULES_PER_ATTRIBUTE = 500
# One case matching more than 63 distinct range tests (>=, <, !=, …) of one fact in one ruleset
# makes durable-rules fail with "error code: 303"; equality tests match one at a time.
MAX_RANGE_TESTS_PER_ATTRIBUTE = 63
MAX_FACTS = 230  # facts per case (message properties)
