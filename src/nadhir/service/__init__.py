"""Service edges: the command line, and later the HTTP app."""
