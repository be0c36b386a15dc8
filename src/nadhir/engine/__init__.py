"""The engine: the pipeline, the stepper that drives it in replay and live, and its factory."""
