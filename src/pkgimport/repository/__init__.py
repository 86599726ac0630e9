"""rez filesystem repositories: read, write, merge and list packages."""
