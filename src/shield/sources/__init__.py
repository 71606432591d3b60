"""Sources: web sites, sitemaps, folders and Git repositories kept in sync with a collection."""
