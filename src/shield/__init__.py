"""Shield: a self-hosted knowledge platform for AI assistants."""

__version__ = "0.1.0"
