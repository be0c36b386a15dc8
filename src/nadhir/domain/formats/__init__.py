"""The wire and file formats: events, scenario folders, and the alerts and tracks written out."""
