"""Git repositories for the tests: a working tree that commits as a team does (add, change,
rename, delete), and a server of Git's own smart HTTP protocol (`git http-backend`) on loopback,
with basic authentication when asked."""

from __future__ import annotations

import base64
import contextlib
import http.server
import os
import subprocess
import threading
from pathlib import Path

_IDENTITY = ["-c", "user.name=Shield Tests", "-c", "user.email=tests@shield.invalid"]


def git(folder: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(folder), *_IDENTITY, *args],
        capture_output=True, text=True, check=True,
        env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull},
    )  # fmt: skip
    return done.stdout.strip()


class WorkingTree:
    """A repository whose commits the test writes file by file."""

    def __init__(self, folder: Path, branch: str = "main") -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        git(folder, "init", "--quiet", f"--initial-branch={branch}")

    def write(self, path: str, text: str) -> None:
        target = self.folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        git(self.folder, "add", path)

    def rename(self, old: str, new: str) -> None:
        (self.folder / new).parent.mkdir(parents=True, exist_ok=True)
        git(self.folder, "mv", old, new)

    def delete(self, path: str) -> None:
        git(self.folder, "rm", "--quiet", path)

    def commit(self, message: str) -> str:
        git(self.folder, "commit", "--quiet", "-m", message)
        return git(self.folder, "rev-parse", "HEAD")


class GitServer:
    """`git http-backend` serving the bare repositories under `root` at
    `http://127.0.0.1:<port>/<name>.git`, demanding `credentials` ("user:password") if given."""

    def __init__(self, root: Path, credentials: str | None = None) -> None:
        self.root = root
        self.credentials = credentials
        self.requests = 0
        self.refused = 0
        handler = type("Handler", (_GitHandler,), {"server_of": self})
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def publish(self, tree: WorkingTree, name: str) -> str:
        """Push the tree's branch to a bare repository `name`.git; its URL."""
        bare = self.root / f"{name}.git"
        if not bare.exists():
            git(self.root, "init", "--quiet", "--bare", str(bare))
        branch = git(tree.folder, "rev-parse", "--abbrev-ref", "HEAD")
        git(tree.folder, "push", "--quiet", "--force", str(bare), f"{branch}:{branch}")
        git(bare, "symbolic-ref", "HEAD", f"refs/heads/{branch}")
        return f"{self.url}/{name}.git"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _GitHandler(http.server.BaseHTTPRequestHandler):
    server_of: GitServer

    def do_GET(self) -> None:
        self._backend()

    def do_POST(self) -> None:
        self._backend()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the tests read counts, not logs."""

    def _authorised(self) -> bool:
        wanted = self.server_of.credentials
        if wanted is None:
            return True
        given = self.headers.get("Authorization", "")
        return given == "Basic " + base64.b64encode(wanted.encode()).decode()

    def _backend(self) -> None:
        self.server_of.requests += 1
        if not self._authorised():
            self.server_of.refused += 1
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="git"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path, _, query = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": str(self.server_of.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(length),
            "REMOTE_ADDR": self.client_address[0],
            "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
            "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
        }
        done = subprocess.run(
            ["git", "http-backend"], input=body, capture_output=True, env=env, check=False
        )
        head, _, payload = done.stdout.partition(b"\r\n\r\n")
        status, headers = 200, []
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                headers.append((name, value.strip()))
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
