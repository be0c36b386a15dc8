"""The HTTP API, one router per resource (:func:`nadhir.service.app.create_app` includes them all)."""
