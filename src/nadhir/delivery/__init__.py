"""Delivery: routing alerts to sirens, phones and partners, the durable outbox, and the channels."""
