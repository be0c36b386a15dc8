"""``python -m nadhir_siren``: the siren controller program."""

from nadhir_siren.cli import main

raise SystemExit(main())
