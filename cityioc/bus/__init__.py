"""The internal event bus: committed changes fanned out to whoever in the deployment needs them
(live streams, notifier, later the rule engine). ``memory`` within one process (the default);
``nats`` (JetStream) so that several server processes see each other's changes."""
