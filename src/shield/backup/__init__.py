"""Backups of the whole platform: the archive format and its checks, and Shield's records in
Redis (docs/guides/BACKUP.md)."""
