"""The cluster profile: two Rasa servers and two action servers behind nginx, on one
PostgreSQL and one Redis, as Rasa's own deployment model runs them (P12).

Each Rasa server has its action server (actions are stateless: any of them would do).
Both Rasa servers keep conversations in the same PostgreSQL (the encrypted tracker
store) with the project's own tables (DATABASE_URL), and take a conversation's
messages one at a time through the same Redis lock store. nginx, from Debian, spreads
requests over the two: the webhooks, the REST channel and Rasa's HTTP API. It never
sends a POST to the second server after the first has started on it (nginx retries
only requests that cannot have had an effect), and the durable intake takes a
redelivered event once.

Usage (what `make cluster` runs, on a throwaway PostgreSQL and Redis):
    python -m scripts.cluster --database-url postgresql+psycopg2://... \\
        --redis-url redis://127.0.0.1:6379/0 [--port 8080]

The platforms' settings, ENCRYPTION_KEYS and LOOKUP_KEY come from the environment as
for `make run`; every server of the cluster gets the same ones.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List

from cryptography.fernet import Fernet
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.processes import (  # noqa: E402
    HOST,
    Assistant,
    StartError,
    free_port,
    store_keys_from,
    wait_until_answering,
)

NGINX = "/usr/sbin/nginx"
SERVERS = 2
NGINX_CONF = """\
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  log_format upstream '$upstream_addr $status $request_method $uri';
  access_log {dir}/access.log upstream;
  client_body_temp_path {dir}/body;
  proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi;
  scgi_temp_path {dir}/scgi;
  # The webhooks refuse bodies over 1 MB themselves (413); nginx says the same sooner.
  client_max_body_size 1m;
  upstream rasa {{
{servers}
  }}
  server {{
    listen {host}:{port};
    location / {{
      proxy_pass http://rasa;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_read_timeout 120s;
      # A server that is down is skipped; a POST it may have begun is not sent again.
      proxy_next_upstream error timeout;
    }}
  }}
}}
"""


def tracker_store_settings(url: str) -> Dict[str, object]:
    """endpoints.yml's tracker store settings for the PostgreSQL database at `url`."""
    parsed = make_url(url)
    settings: Dict[str, object] = {
        "dialect": "postgresql",
        "url": parsed.host,  # Rasa reads the host from `url`
        "port": parsed.port or 5432,
        "db": parsed.database,
        "username": parsed.username,
    }
    if parsed.password:
        settings["password"] = parsed.password
    return settings


def lock_store_settings(url: str) -> Dict[str, object]:
    """endpoints.yml's lock store settings for the Redis at `url` (redis://host:port/db)."""
    parsed = make_url(url)
    settings: Dict[str, object] = {
        "type": "bot.channels.lock_store.AtomicRedisLockStore",
        "url": parsed.host,
        "port": parsed.port or 6379,
        "db": int(parsed.database or 0),
    }
    if parsed.password:
        settings["password"] = parsed.password
    return settings


def nginx_conf(directory: Path, port: int, upstreams: List[int]) -> str:
    """nginx's configuration: `port` on loopback, spread over the Rasa servers."""
    servers = "\n".join(f"    server {HOST}:{p} max_fails=1 fail_timeout=5s;" for p in upstreams)
    return NGINX_CONF.format(dir=directory, host=HOST, port=port, servers=servers)


@dataclass
class Cluster:
    """Two Rasa servers, their action servers and nginx in front, started and stopped
    together. `port` is where nginx listens; the servers' own ports are free ones."""

    database_url: str
    redis_url: str
    port: int
    model: Path = ROOT / "models"
    log_dir: Path | None = None
    rest_channel: bool = False
    api_token: str = field(default_factory=lambda: secrets.token_hex(16))
    extra_env: Dict[str, str] = field(default_factory=dict)
    data_keys: Dict[str, str] = field(default_factory=lambda: store_keys_from(os.environ))
    # Sealed security answers must open on whichever action server the next question
    # reaches: one key for all of them (without one, each would make its own).
    answers_key: str = field(
        default_factory=lambda: (
            os.environ.get("SECURITY_ANSWERS_KEY") or Fernet.generate_key().decode()
        )
    )
    servers: List[Assistant] = field(default_factory=list, init=False)
    _nginx: subprocess.Popen | None = field(default=None, init=False)
    _nginx_dir: Path | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        """The address the platforms and staff reach the cluster at (nginx)."""
        return f"http://{HOST}:{self.port}"

    @property
    def access_log(self) -> Path:
        """nginx's log: one line a request, `upstream status method path`."""
        assert self._nginx_dir is not None
        return self._nginx_dir / "access.log"

    def start(self, timeout: float = 300.0) -> Cluster:
        """Start the servers one after the other, then nginx, and wait for each.

        Raises:
            StartError: a server or nginx did not start.
        """
        if not Path(NGINX).exists():
            raise StartError(f"{NGINX} is missing: run scripts/ensure-nginx.sh")
        deadline = time.monotonic() + timeout
        try:
            for n in range(SERVERS):
                server = Assistant(
                    project=ROOT,
                    venv_bin=Path(sys.executable).parent,
                    model=self.model,
                    rasa_port=free_port(),
                    action_port=free_port(),
                    tracker_store=tracker_store_settings(self.database_url),
                    lock_store=lock_store_settings(self.redis_url),
                    log_dir=self.log_dir / f"server{n + 1}" if self.log_dir else None,
                    api_token=self.api_token,
                    rest_channel=self.rest_channel,
                    data_keys=self.data_keys,
                    extra_env={
                        **self.extra_env,
                        "DATABASE_URL": self.database_url,
                        "SECURITY_ANSWERS_KEY": self.answers_key,
                    },
                )
                self.servers.append(server)
                server.start(deadline - time.monotonic())
            self._start_nginx(deadline)
        except BaseException:
            self.stop()
            raise
        return self

    def _start_nginx(self, deadline: float) -> None:
        self._nginx_dir = Path(tempfile.mkdtemp(prefix="cluster-nginx-"))
        # nginx's workers run as nobody when it is started as root: they write here.
        self._nginx_dir.chmod(0o777)
        conf = self._nginx_dir / "nginx.conf"
        conf.write_text(nginx_conf(self._nginx_dir, self.port, [s.rasa_port for s in self.servers]))
        log = open(self._nginx_dir / "stderr.log", "ab")
        self._nginx = subprocess.Popen(
            [NGINX, "-p", str(self._nginx_dir), "-c", str(conf)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        wait_until_answering(
            self._nginx,
            "nginx",
            f"{self.url}/",
            deadline,
            lambda: ": " + (self._nginx_dir / "stderr.log").read_text(errors="replace"),
        )

    def stop(self) -> None:
        """Stop nginx, then every server."""
        if self._nginx is not None and self._nginx.poll() is None:
            self._nginx.send_signal(signal.SIGQUIT)  # graceful: finish what is in flight
            try:
                self._nginx.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._nginx.kill()
                self._nginx.wait()
        self._nginx = None
        for server in self.servers:
            server.stop()
        self.servers.clear()
        if self._nginx_dir is not None:
            shutil.rmtree(self._nginx_dir, ignore_errors=True)
            self._nginx_dir = None

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="PostgreSQL (SQLAlchemy URL)")
    parser.add_argument("--redis-url", required=True, help="redis://host:port/db")
    parser.add_argument("--port", type=int, default=int(os.environ.get("CLUSTER_PORT", 8080)))
    args = parser.parse_args(argv)
    if make_url(args.database_url).get_backend_name() != "postgresql":
        print(
            "error: the cluster profile needs PostgreSQL (--database-url postgresql+psycopg2://...)"
        )
        return 2
    rest = os.environ.get("REST_CHANNEL", "on") != "off"
    cluster = Cluster(args.database_url, args.redis_url, args.port, rest_channel=rest)
    stopping = {"now": False}

    def stop(*_: object) -> None:
        stopping["now"] = True

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, stop)
    with cluster:
        ports = ", ".join(f"{s.rasa_url} (actions {s.action_url})" for s in cluster.servers)
        print(f"==> The cluster is running behind nginx at {cluster.url}")
        print(f"    Rasa servers: {ports}")
        print(f"    Rasa HTTP API token: {cluster.api_token}")
        print("    Stop it: Ctrl-C")
        while not stopping["now"]:
            if any(s.exited() for s in cluster.servers):
                print("error: a server of the cluster exited; stopping the cluster")
                return 1
            time.sleep(0.5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
