# The containers.podman.podman connection with pipelining, for the Molecule scenarios.
#
# The collection's plugin runs six podman commands per task (mount, a home lookup, a temporary
# directory, chmod, the module, clean-up), about 2 s a task here. With pipelining a module reaches
# the container on the stdin of a single `podman exec -i`, as production's SSH connection does
# (ansible.cfg turns pipelining on there), and the container is mounted only for tasks that copy
# files. It keeps the collection's options and its file transfer.

from __future__ import annotations

import shlex
from typing import Any

from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.connection import ConnectionBase, ensure_connect
from ansible_collections.containers.podman.plugins.connection.podman import (
    Connection as PodmanConnection,
)

DOCUMENTATION = """
    name: podman_pipelined
    short_description: Run tasks in an existing podman container, modules pipelined
    description:
      - The containers.podman.podman connection, with modules sent over the stdin of one
        C(podman exec -i) and the container mounted only when a file is copied.
    options:
      remote_addr:
        description: The name or ID of the container.
        default: inventory_hostname
        vars:
          - name: ansible_host
          - name: inventory_hostname
          - name: ansible_podman_host
      remote_user:
        description: The user that runs commands inside the container.
        ini:
          - section: defaults
            key: remote_user
        env:
          - name: ANSIBLE_REMOTE_USER
        vars:
          - name: ansible_user
      podman_extra_args:
        description: Extra arguments to pass to the podman command line.
        default: ''
        ini:
          - section: defaults
            key: podman_extra_args
        vars:
          - name: ansible_podman_extra_args
        env:
          - name: ANSIBLE_PODMAN_EXTRA_ARGS
      podman_executable:
        description: Executable for podman command.
        default: podman
        vars:
          - name: ansible_podman_executable
        env:
          - name: ANSIBLE_PODMAN_EXECUTABLE
"""


class Connection(PodmanConnection):  # type: ignore[misc]
    transport = "podman_pipelined"
    has_pipelining = True
    always_pipeline_modules = True

    def _connect(self) -> Connection:
        # No mount yet: most tasks copy no file (put_file and fetch_file mount on first use).
        self._connected = True
        return self

    def _mounted(self) -> None:
        if self._mount_point is None:
            super()._connect()

    @ensure_connect  # type: ignore[misc]
    def exec_command(
        self, cmd: str, in_data: bytes | None = None, sudoable: bool = False
    ) -> tuple[int, bytes, bytes]:
        ConnectionBase.exec_command(self, cmd, in_data=in_data, sudoable=sudoable)
        exec_args = ["exec", "--interactive"] if in_data else ["exec"]
        if self.user:
            exec_args.extend(("--user", self.user))
        args = shlex.split(to_native(cmd, errors="surrogate_or_strict"))
        rc, stdout, stderr = self._podman(exec_args, args, in_data)
        return int(rc), stdout, stderr

    def put_file(self, in_path: str, out_path: str) -> Any:
        self._mounted()
        return super().put_file(in_path, out_path)

    def fetch_file(self, in_path: str, out_path: str) -> Any:
        self._mounted()
        return super().fetch_file(in_path, out_path)
