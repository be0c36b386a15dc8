"""The delivery channels, one module each: sirens over MQTT (:mod:`.mqtt_sirens`), signed webhooks to
partners (:mod:`.webhook`), an SMS gateway (:mod:`.sms`) and the Telegram Bot API (:mod:`.telegram`).

Each channel sends claimed outbox deliveries (:class:`nadhir.delivery.states.Delivery`).
The HTTP channels say at once what became of each (:mod:`.http`): ``acked`` on
success, ``failed`` when retrying cannot help (the recipient does not exist, the
request is refused), ``error`` when a later attempt may succeed (timeouts, 5xx,
rate limits). The siren channel's outcomes arrive later, as the sirens' ACKs.
"""
