"""Panel pages: thin views over panels.services and panels.selectors."""
