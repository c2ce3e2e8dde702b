"""Panel sessions, membership, scheduling and decisions (issue 6)."""
