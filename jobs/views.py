"""The jobs page (the state of every declared job, a manual run, the recent runs) and the jobs panel
on the home page. Who may use them is the rule an app registered (jobs.registry.set_operators)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from . import registry, selectors
from .forms import RunJobForm
from .services import start_job


@login_required
def jobs(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not registry.may_operate(user):
        raise PermissionDenied
    form = RunJobForm(request.POST or None, jobs=registry.runnable(), initial={"as_of": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        job = registry.get(form.cleaned_data["job"])
        as_of, now = form.cleaned_data["as_of"], form.cleaned_data["now"]
        try:
            sent = start_job(job, as_of, trigger=f"web:{user.username}", now=now)
        except ValidationError as exc:
            form.add_error("as_of", "; ".join(exc.messages))
        else:
            values = {"job": job.label, "date": as_of}
            if sent is None:
                messages.success(request, _("%(job)s for %(date)s has run.") % values)
            elif sent.queued:
                messages.success(request, _("%(job)s for %(date)s was queued.") % values)
            else:
                messages.warning(
                    request,
                    _(
                        "The job queue is unavailable: %(job)s for %(date)s is recorded and will be sent "
                        "as soon as the queue is back."
                    )
                    % values,
                )
            return redirect("jobs:jobs")
    context = {
        "latest": selectors.job_states(),
        "recent": selectors.recent_runs(),
        "form": form,
        "nav_active": "jobs",
    }
    return render(request, "jobs/jobs.html", context)


# --- contribution to the home page ---------------------------------------------------------


def home_panels(request: HttpRequest) -> list[dict]:
    if not registry.may_operate(request.user):
        return []
    pages = [{"url": reverse(job.page), "label": job.label} for job in registry.listed() if job.page]
    # After the panels of the escalation work and the bulletins.
    return [{"template": "jobs/panel_jobs.html", "order": 60, "runs": selectors.job_states(), "pages": pages}]
