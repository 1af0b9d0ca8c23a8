"""App: the thin shells over the Python API: the `cda` command (cli) and the web chat (webapp)."""
