"""redis-benchmark SET/GET over TCP and over TLS, against redis-server and pypika-store, both
serving TLS with the same throw-away certificates (docs/benchmarks.md, "TLS").

    python benchmarks/tls_throughput.py [--requests 50000]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import tempfile

from pypika_store.testing import Certificates, PikaServer, free_port
from pypika_store.testing.embedded import wait_for


def redis_benchmark(port: int, pipeline: int, requests: int, certificates: Certificates | None) -> dict[str, str]:
    """requests/s of SET and GET (``certificates``: over TLS, showing the client certificate)."""
    args = ["redis-benchmark", "-p", str(port), "-c", "50", "-n", str(requests), "-P", str(pipeline),
            "-t", "set,get", "-q"]
    if certificates is not None:
        args += ["--tls", "--cacert", certificates.ca_cert, "--cert", certificates.client_cert,
                 "--key", certificates.client_key]
    output = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    return dict(re.findall(r"(\w+): ([\d.]+) requests per second", output))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50000, help="requests at P=1 (four times as many at P=16)")
    requests = parser.parse_args().requests
    folder = tempfile.mkdtemp(prefix="tls-bench-")
    certificates = Certificates(f"{folder}/certs")
    plain, tls = free_port(), free_port()
    real = subprocess.Popen(
        ["redis-server", "--port", str(plain), "--tls-port", str(tls), "--save", "", "--appendonly", "yes",
         "--dir", folder, "--logfile", f"{folder}/redis.log",
         *sum((["--" + key, value] for key, value in certificates.server_settings().items()), [])])
    ours = PikaServer(mode="process", tls=certificates, config={"sync-policy": "everysec"}).start()
    try:
        wait_for(lambda: subprocess.run(["redis-cli", "-p", str(plain), "PING"], capture_output=True).stdout,
                 10, "redis-server")
        print("| -P | wire | redis-server SET | pypika-store SET | redis-server GET | pypika-store GET |")
        print("|---:|---|---:|---:|---:|---:|")
        for pipeline in (1, 16):
            count = requests if pipeline == 1 else 4 * requests
            for wire, shown, ports in (("tcp", None, (plain, ours.port)), ("tls", certificates, (tls, ours.tls_port))):
                theirs, mine = (redis_benchmark(port, pipeline, count, shown) for port in ports)
                print(f"| {pipeline} | {wire} | {theirs['SET']} | {mine['SET']} | {theirs['GET']} | {mine['GET']} |")
    finally:
        ours.stop()
        real.terminate()
        real.wait()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
