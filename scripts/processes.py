"""Start the action server, the Rasa server and the staff API as child processes, and
stop them.

`make run`, the end-to-end tests and the benchmark all start the assistant through
`Assistant`, so they run it the same way. Every server listens on loopback only.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Callable, Dict, List

import yaml

from bot.keys import DataKeys, new_encryption_key, new_lookup_key

HOST = "127.0.0.1"


class StartError(RuntimeError):
    """A server exited or did not answer in time."""


def wait_until_answering(
    process: subprocess.Popen,
    name: str,
    url: str,
    deadline: float,
    exited: Callable[[], str] = lambda: "",
) -> None:
    """Wait until `url` answers 200, before `deadline` (`time.monotonic`).

    Raises:
        StartError: `process` (the server `name`) exited first, said with what `exited()`
            adds, or the deadline passed.
    """
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StartError(f"{name} exited with code {process.returncode}{exited()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    raise StartError(f"{name} did not answer at {url} in time")


@dataclass
class Assistant:
    """The two servers of one running assistant.

    Args:
        project: the project folder (config, domain, endpoints, credentials).
        venv_bin: the folder holding the `rasa` command.
        model: a model file, or a folder whose newest model is used.
        rasa_port, action_port: where the servers listen.
        tracker_db: a SQLite file for conversations; None keeps endpoints.yml's store.
        tracker_store: settings laid over endpoints.yml's tracker store (and over
            `tracker_db`), such as `dialect: postgresql` with host, port, db, username.
        actions: the action package, or None for an assistant with no custom actions.
        log_dir: where the servers' output goes; None lets it through to the console.
        api_token: enables Rasa's HTTP API (conversations, for staff) behind this token.
        extra_env: variables added to the servers' environment.
        action_endpoint: where Rasa calls the actions, if not the action server itself
            (a test puts a slow proxy in between).
        rest_channel: serve the REST channel, for local chat (REST_CHANNEL=on); its
            conversations never carry a platform account (bot/channels/rest.py).
        console_port: start the staff app (bot/console/, the staff API under /api/) on
            this port too; it
            needs `api_token` (it talks to Rasa's HTTP API) and staff tokens, from
            `staff_tokens` or the environment.
        staff_tokens: the staff API's tokens, "name:token,...".
        data_keys: ENCRYPTION_KEYS and LOOKUP_KEY the servers run with (P9); by default
            those in the environment, else new ones for this assistant alone.
        lock_store: endpoints.yml's lock store for this instance, such as `type: redis`
            with url and port: servers that share conversations must share it, or two
            of them could take the same conversation's messages at once.
        endpoints: the endpoints file the servers' own copy is made from: ENDPOINTS_FILE,
            as the commands read it (`scripts.keys`, `scripts.subject`), so that they go
            through the tracker store the Rasa server writes; None: the project's
            endpoints.yml.
    """

    project: Path
    venv_bin: Path
    model: Path
    rasa_port: int = 5005
    action_port: int = 5055
    tracker_db: Path | None = None
    tracker_store: Dict[str, str] | None = None
    lock_store: Dict[str, object] | None = None
    actions: str | None = "actions"
    log_dir: Path | None = None
    api_token: str | None = None
    extra_env: Dict[str, str] = field(default_factory=dict)
    action_endpoint: str | None = None
    rest_channel: bool = False
    console_port: int | None = None
    staff_tokens: str | None = None
    data_keys: Dict[str, str] = field(default_factory=lambda: store_keys_from(os.environ))
    endpoints: Path | None = None
    processes: Dict[str, subprocess.Popen] = field(default_factory=dict, init=False)
    _logs: List[IO] = field(default_factory=list, init=False)
    _endpoints: Path | None = field(default=None, init=False)

    @property
    def rasa_url(self) -> str:
        """The Rasa server's base address."""
        return f"http://{HOST}:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        """The action server's base address."""
        return f"http://{HOST}:{self.action_port}"

    @property
    def console_url(self) -> str:
        """The staff app's base address (its API is under /api/)."""
        return f"http://{HOST}:{self.console_port}"

    def start(self, timeout: float = 180.0) -> Assistant:
        """Start the servers and wait until each answers.

        Raises:
            StartError: a server exited early or did not answer within `timeout`.
        """
        deadline = time.monotonic() + timeout
        try:
            if self.actions:
                self.start_actions(deadline - time.monotonic())
            self.start_rasa(deadline - time.monotonic())
            if self.console_port is not None:
                self._spawn(
                    "console",
                    [str(self.venv_bin / "python"), "-m", "bot.console"],
                    self._console_env(),
                )
                self._wait("console", f"{self.console_url}/api/health", deadline)
        except StartError:
            self.stop()
            raise
        return self

    def start_actions(self, timeout: float = 180.0) -> None:
        """Start the action server (again, after `kill_actions`) and wait until it answers."""
        port = str(self.action_port)
        command = [str(self.venv_bin / "rasa"), "run", "actions", "--actions", str(self.actions)]
        self._spawn("actions", [*command, "--port", port], self._env())
        self._wait("actions", f"{self.action_url}/health", time.monotonic() + timeout)

    def start_rasa(self, timeout: float = 180.0) -> None:
        """Start the Rasa server (again, after `kill_rasa`) and wait until it answers."""
        self._spawn("rasa", [str(self.venv_bin / "rasa"), *self.rasa_arguments()], self._env())
        self._wait("rasa", f"{self.rasa_url}/", time.monotonic() + timeout)

    def rasa_arguments(self) -> List[str]:
        """What `rasa` is started with: `run` on this model, port and settings."""
        # "--auth-token=..." in one word: a random token may start with "-", which
        # would read as another option and stop the server from starting.
        api = ["--enable-api", f"--auth-token={self.api_token}"] if self.api_token else []
        return [
            "run",
            "--model",
            str(self.model),
            "--port",
            str(self.rasa_port),
            "--interface",
            HOST,
            "--endpoints",
            str(self._endpoints_file()),
            "--credentials",
            str(self.project / "credentials.yml"),
            *api,
        ]

    def kill_rasa(self) -> None:
        """Kill the Rasa server at once (SIGKILL), as a crash would."""
        self._kill("rasa")

    def kill_actions(self) -> None:
        """Kill the action server at once (SIGKILL), as a crash would."""
        self._kill("actions")

    def _kill(self, name: str) -> None:
        process = self.processes[name]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def keys(self) -> DataKeys:
        """The keys the servers encrypt the store with, to read it in a test."""
        return DataKeys(self.data_keys["ENCRYPTION_KEYS"].split(","), self.data_keys["LOOKUP_KEY"])

    def _env(self) -> Dict[str, str]:
        rest = {"REST_CHANNEL": "on" if self.rest_channel else "off"}
        return {**os.environ, "SANIC_HOST": HOST, **rest, **self.data_keys, **self.extra_env}

    def _console_env(self) -> Dict[str, str]:
        api = {
            "CONSOLE_HOST": HOST,
            "CONSOLE_PORT": str(self.console_port),
            "RASA_PORT": str(self.rasa_port),
            "RASA_API_TOKEN": self.api_token or "",
            # The dashboard reads the conversations the Rasa server writes.
            "ENDPOINTS_FILE": str(self._endpoints_file()),
        }
        if self.staff_tokens:
            api["STAFF_API_TOKENS"] = self.staff_tokens
        return {**self._env(), **api}

    def stop(self, grace: float = 15.0) -> None:
        """Stop both servers: SIGTERM, then SIGKILL after `grace` seconds."""
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for log in self._logs:
            log.close()
        self._logs.clear()
        if self._endpoints is not None:
            self._endpoints.unlink(missing_ok=True)
            self._endpoints = None

    def exited(self) -> str | None:
        """The name of a server that has exited, or None while both run."""
        for name, process in self.processes.items():
            if process.poll() is not None:
                return name
        return None

    def __enter__(self) -> Assistant:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _spawn(self, name: str, command: List[str], env: Dict[str, str]) -> None:
        output = None
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            output = open(self.log_dir / f"{name}.log", "ab")
            self._logs.append(output)
        # A session of its own, so a Ctrl-C in the terminal reaches only the supervisor,
        # which then stops the servers in order.
        self.processes[name] = subprocess.Popen(
            command,
            cwd=self.project,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT if output else None,
            start_new_session=True,
            preexec_fn=_stop_with_parent if sys.platform == "linux" else None,
        )

    def _wait(self, name: str, url: str, deadline: float) -> None:
        wait_until_answering(self.processes[name], f"the {name} server", url, deadline)

    def endpoints_file(self) -> Path:
        """The endpoints file the servers read: a command run beside them (ENDPOINTS_FILE)
        then reaches the same tracker store."""
        return self._endpoints_file()

    def _endpoints_file(self) -> Path:
        """endpoints.yml, with this instance's action port and tracker store."""
        if self._endpoints is not None:
            return self._endpoints
        source = self.endpoints or self.project / "endpoints.yml"
        endpoints = yaml.safe_load(source.read_text()) or {}
        if self.actions:
            url = self.action_endpoint or f"{self.action_url}/webhook"
            endpoints["action_endpoint"] = {"url": url}
        else:
            endpoints.pop("action_endpoint", None)
        if self.tracker_db is not None:
            endpoints["tracker_store"] = {
                **endpoints.get("tracker_store", {}),
                "dialect": "sqlite",
                "db": str(self.tracker_db),
            }
        else:
            (self.project / "var").mkdir(exist_ok=True)
        if self.tracker_store:
            endpoints["tracker_store"] = {
                **endpoints.get("tracker_store", {}),
                **self.tracker_store,
            }
        if self.lock_store:
            endpoints["lock_store"] = dict(self.lock_store)
        handle, name = tempfile.mkstemp(prefix="endpoints-", suffix=".yml")
        with os.fdopen(handle, "w") as out:
            yaml.safe_dump(endpoints, out)
        self._endpoints = Path(name)
        return self._endpoints


def _stop_with_parent() -> None:
    """In the child, before it runs: SIGTERM when the supervisor dies, however it dies.

    A supervisor killed outright (SIGKILL, out of memory) cannot stop its servers
    itself; left running, they would hold the ports the next `make run` needs.
    """
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def store_keys_from(environ: Dict[str, str]) -> Dict[str, str]:
    """ENCRYPTION_KEYS and LOOKUP_KEY from `environ`, or new ones where either is missing."""
    if environ.get("ENCRYPTION_KEYS") and environ.get("LOOKUP_KEY"):
        return {"ENCRYPTION_KEYS": environ["ENCRYPTION_KEYS"], "LOOKUP_KEY": environ["LOOKUP_KEY"]}
    return {"ENCRYPTION_KEYS": new_encryption_key(), "LOOKUP_KEY": new_lookup_key()}


def free_port() -> int:
    """A loopback port that nothing listens on now."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def send(base_url: str, sender: str, text: str, timeout: float = 30.0) -> List[dict]:
    """Post one message to the REST channel and return the assistant's replies.

    The conversation is `rest-<sender>`: the REST channel names no platform account.
    """
    body = {"sender": sender, "message": text}
    request = urllib.request.Request(
        f"{base_url}/webhooks/rest/webhook",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())
