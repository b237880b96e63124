"""The Locust entry of the load conformance run.

    locust -f conformance/runs/load/locustfile.py --headless -u 20 -r 20 -t 30s \
        --host http://127.0.0.1:8080/mock \
        --conformance-container-url http://127.0.0.1:8000

`conformance load` runs exactly this file; any Locust option (distributed
mode, CSV, HTML) works the same when it is run directly. `--conformance-*`
options are listed by `locust -f conformance/runs/load/locustfile.py --help`.
"""

from conformance.runs.load.hooks import install
from conformance.runs.load.user import GatewayUser

install()

__all__ = ["GatewayUser"]
