"""MCP tasks (the `io.modelcontextprotocol/tasks` extension) as shield-mcp runs them: the tools
that queue long work may run as a task when the client asks for one.

Tasks run on Docket in shield-mcp's memory, so no caller's token is ever written to a store; a
restart forgets the tasks, never the jobs they follow.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from fastmcp.utilities.tasks import TASKS_EXTENSION_ID, TaskConfig
from fastmcp_tasks import TasksExtension

if TYPE_CHECKING:
    import mcp_types
    from fastmcp.server.context import Context
    from fastmcp.server.extensions import ToolCallContinuation, ToolCallOutcome

# Optional: a client that does not ask gets the job's id at once. It polls at this pace.
TASK_OPTIONAL = TaskConfig(mode="optional", poll_interval=timedelta(seconds=1))


class ShieldTasks(TasksExtension):
    """The tasks extension, with one shortcut: a call whose client did not ask for a task goes
    straight to the tool. Every tool here is `optional` (none requires a task), so that is what
    the extension would decide too, after looking the tool up once more on every call."""

    def __init__(self, concurrency: int) -> None:
        super().__init__(url="memory://", name="shield-mcp", concurrency=concurrency)

    async def intercept_tool_call(
        self,
        params: mcp_types.CallToolRequestParams,
        context: Context,
        call_next: ToolCallContinuation,
    ) -> ToolCallOutcome:
        if context.client_extension_settings(TASKS_EXTENSION_ID) is None:
            return await call_next()
        return await super().intercept_tool_call(params, context, call_next)
