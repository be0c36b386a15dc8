"""Nadhir's lab: the simulator, the scorer and strike-model training.

The lab sits outside the product. It may import anything in :mod:`nadhir`
(it replays scenarios through the real pipeline), but :mod:`nadhir` never
imports it: an import-linter contract in ``pyproject.toml`` checks that. The
``nadhir`` command finds the lab's commands (``simulate``, ``score``,
``train-threat``) and the demo's scorer through the entry points the lab
declares (groups ``nadhir.commands`` and ``nadhir.scoring``).
"""
