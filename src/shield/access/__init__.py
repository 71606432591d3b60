"""Who may do what: scopes per collection, the tokens that carry them, and the check every
route and tool goes through (docs/SECURITY.md)."""
