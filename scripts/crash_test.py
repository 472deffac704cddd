"""Crash safety: kill -9 the server in the middle of a load; every case answered 200 must be in the store.

Starts `triage serve` on a free port, sends REQUESTS cases from THREADS client
threads, kills the server with SIGKILL after KILL_AFTER answers, then opens the
store afresh and checks every answered case_id is there with the same decision.

    python scripts/crash_test.py [REQUESTS] [KILL_AFTER] [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
THREADS = 4


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, server: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode} before answering")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("the server did not come up")


def run(requests: int, kill_after: int, data_dir: Path, database_url: str | None = None) -> dict:
    from service.config import Settings
    from service.runtime import open_store

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "TRIAGE_DATA_DIR": str(data_dir)}
    if database_url:
        env["TRIAGE_DATABASE_URL"] = database_url
    server = subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until_up(url, server)
    answered: dict[str, dict] = {}
    lock = threading.Lock()
    texts = [json.loads(line)["text"] for path in sorted((ROOT / "training" / "corpus").glob("*.jsonl"))
             for line in path.read_text(encoding="utf-8").splitlines()[:150]]

    def client(worker: int) -> None:
        with httpx.Client(base_url=url, timeout=30) as http:
            for i in range(worker, requests, THREADS):
                case = {"case_id": f"crash-{i:05d}", "content": texts[i % len(texts)], "petitioner": {"id": f"p{i % 97}"}}
                try:
                    answer = http.post("/v1/triage", json=case)
                except httpx.HTTPError:
                    return  # the server is gone
                if answer.status_code == 200:
                    with lock:
                        answered[case["case_id"]] = answer.json()
                        if len(answered) == kill_after:
                            server.send_signal(signal.SIGKILL)

    threads = [threading.Thread(target=client, args=(w,)) for w in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    server.wait()

    settings = Settings(data_dir=data_dir, **({"database_url": database_url} if database_url else {}))
    store = open_store(settings)
    missing = [case_id for case_id in answered if store.get(case_id) is None]
    changed = [case_id for case_id, decision in answered.items()
               if case_id not in missing and store.get(case_id).model_dump(mode="json") != decision]
    return {"sent": requests, "answered_200": len(answered), "stored": store.count(), "killed": server.returncode == -9,
            "missing": missing, "changed": changed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("requests", nargs="?", type=int, default=2000)
    parser.add_argument("kill_after", nargs="?", type=int, default=800)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = run(args.requests, args.kill_after, Path(tmp), args.database_url)
    print(json.dumps({k: v if not isinstance(v, list) else len(v) for k, v in result.items()}))
    sys.exit(0 if result["killed"] and not result["missing"] and not result["changed"] else 1)


if __name__ == "__main__":
    main()
