"""A configurable fake inference container with a recording control API."""
