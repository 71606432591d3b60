"""The web console shield-api serves at /console: static files in `assets/`, no build step and
nothing fetched from elsewhere (docs/adr/0004-console-without-a-build.md)."""
