from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from common.admin import ReadOnlyAdmin

from . import registry
from .models import JobLock, JobRun


class JobFilter(admin.SimpleListFilter):
    """The declared jobs by their labels (JobRun.job has no choices: the registry names them)."""

    title = _("job")
    parameter_name = "job"

    def lookups(self, request, model_admin):
        return [(job.name, job.label) for job in registry.listed()]

    def queryset(self, request, queryset):
        return queryset.filter(job=self.value()) if self.value() else queryset


def _queue_action(job: registry.Job):
    """The admin action of a job that declares one: queue its task (no arguments) after commit."""

    def action(modeladmin, request, queryset):
        from courtflow.celery import app

        transaction.on_commit(lambda: app.send_task(job.task))
        modeladmin.message_user(request, job.admin_action.message, messages.INFO)

    return action


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    list_display = ["job_label", "as_of", "outcome", "started_at", "finished_at", "trigger"]
    list_filter = [JobFilter, "outcome"]
    date_hierarchy = "started_at"

    @admin.display(description=_("job"), ordering="job")
    def job_label(self, run: JobRun) -> str:
        return run.job_label

    def get_actions(self, request):
        # The jobs' own actions (jobs.registry: `admin_action`), read when the page is built: the
        # admin is loaded before the apps have declared their jobs.
        actions = super().get_actions(request)
        if self.actions is None or IS_POPUP_VAR in request.GET:
            return actions
        for job in registry.listed():
            if job.admin_action is not None:
                name = f"queue_{job.name}"
                actions[name] = (_queue_action(job), name, job.admin_action.description)
        return actions


@admin.register(JobLock)
class JobLockAdmin(ReadOnlyAdmin):
    list_display = ["name", "holder", "expires_at"]
