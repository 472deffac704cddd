"""The rules engine. Only durable_adapter imports durable-rules."""
