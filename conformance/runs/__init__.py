"""Runners: a gateway run, a container run and a load run, on the engine and pytest plugin they share."""
