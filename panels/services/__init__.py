"""State changes of the panels app: one transaction each, audited."""
