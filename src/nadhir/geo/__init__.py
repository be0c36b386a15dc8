"""Geography: distances, a local metric frame, compass words, the gazetteer."""
