"""Alembic environment of the store, shipped inside the package.

Run through :func:`nadhir.store.store.upgrade_schema` (``Store.open`` does it); no
``alembic.ini`` is needed. To write a new revision by hand, copy the layout of
``versions/0001_initial.py``; ``tests/store/test_store.py`` checks that the
migrations build the same schema as :mod:`nadhir.store.models`.
"""
