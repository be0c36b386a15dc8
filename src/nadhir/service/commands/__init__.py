"""One module per ``nadhir`` sub-command; each exposes ``register(app)``."""
