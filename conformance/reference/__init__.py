"""The reference gateway: the contract's every MUST and SHOULD, built to be subclassed.

`conformance gateway` runs it; `ReferenceGateway(GatewayConfig(...)).app` is
the ASGI application for embedding; tests/mutants subclass it.
"""

from .config import Deployment, GatewayConfig, StatusEncoding
from .gateway import ReferenceGateway

__all__ = ["ReferenceGateway", "GatewayConfig", "Deployment", "StatusEncoding"]
