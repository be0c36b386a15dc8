"""The lab's ``nadhir`` sub-commands; each exposes ``register(app)``.

The product's command line (:mod:`nadhir.service.cli`) finds them through the
``nadhir.commands`` entry-point group declared in ``pyproject.toml``; it never
imports this package by name.
"""

# The --help panel the lab's commands are listed under.
LAB_PANEL = "Lab (nadhir_lab)"
