"""Automation: rules (trigger, condition, actions) run from the outbox, durable timers, workers.

Kept import-light: the kind modules import only the core, so validation can use them without
pulling in the engine.
"""
