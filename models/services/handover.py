"""Handing an open task to another staff member: away, leaving, or moved by an admin.

The new assignee gets the task by email with a fresh reply address (the old assignee's no
longer decides: it answers "already decided or reassigned"), and the case's timeline says
who, to whom and why.
"""

from __future__ import annotations

from models.cases import ReviewTask
from models.people import Staff
from models.services.casework import email_task
from models.services.context import ServiceContext
from models.services.timeline import Actor, record_action


def hand_over(ctx: ServiceContext, task: ReviewTask, to: Staff, actor: Actor, why: str) -> None:
    previous = task.assignee.email
    task.assignee = to
    to.last_assigned_at = ctx.now
    record_action(task.case, "reassigned", actor, ctx.now, f"from {previous} to {to.email}: {why}")
    email_task(ctx, task, "handed_over", previous_assignee=previous, why=why)
