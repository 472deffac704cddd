"""p50/p99 latency of POST /v1/triage against a live server on loopback (started here)."""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PORT = 8765


def main(n: int = 2000) -> None:
    texts = [json.loads(l)["text"] for f in sorted((ROOT / "training" / "corpus").glob("*.jsonl")) for l in f.open(encoding="utf-8")]
    rng = random.Random(0)
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "TRIAGE_DATA_DIR": str(Path(tmp) / "data")}
        server = subprocess.Popen([str(ROOT / ".venv" / "bin" / "triage"), "serve", "--port", str(PORT)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{PORT}", timeout=30) as client:
                for _ in range(300):
                    try:
                        if client.get("/healthz").status_code == 200:
                            break
                    except httpx.TransportError:
                        time.sleep(0.1)
                latencies = []
                for i in range(n):
                    payload = {"case_id": f"api-{i}", "content": rng.choice(texts)}
                    started = time.perf_counter()
                    response = client.post("/v1/triage", json=payload)
                    latencies.append((time.perf_counter() - started) * 1000)
                    response.raise_for_status()
        finally:
            server.terminate()
            server.wait(10)
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    print(f"POST /v1/triage x{n} (sequential, SQLite store): p50 {statistics.median(latencies):.1f} ms, p99 {p99:.1f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
