"""The contract: what a gateway and a container agree on, and nothing that judges it.

`catalogue` (requirement IDs, levels, statements), `prefer` (the RFC 7240
grammar and the modes it selects), `status` (the four states and their two
encodings), `openapi` (the HTTP surface, openapi.yaml). Every other part of
the kit, the mock container and the reference gateway included, may import
this package; it imports nothing of theirs.
"""
