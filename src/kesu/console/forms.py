"""The staff console's forms: one per action a member of staff may take on a complaint, and the
intake form.

A form checks shape only (required, lengths, numbers, dates) and offers choices from the
complaint's policy and the organisation; what is allowed is decided by the services, which see
the same inputs as from the API (``services.perform``). ``ActionForm.inputs()`` is that input.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from functools import cached_property
from typing import Any, ClassVar

from django import forms
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kesu.accounts.models import Department, Role, User
from kesu.complaints.errors import DomainError
from kesu.complaints.lifecycle import ACTIONS
from kesu.complaints.models import (
    Channel,
    CommunicationDirection,
    Complaint,
    DeadlineExtension,
    MilestoneStatus,
    SolutionAction,
    SolutionStatus,
    Task,
)
from kesu.policy.schema import PolicyDoc
from kesu.web.forms import CheckedForm

LONG_TEXT = 20_000
MAX_VERSION = 2**31 - 1
DATETIME_INPUT = "%Y-%m-%dT%H:%M"
DATETIME_FORMATS = [DATETIME_INPUT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]

# How a contact with the customer was made (``services.records.CONTACT_CHANNELS``).
CONTACT_CHANNELS = [
    ("phone", _("Phone")),
    ("email", _("Email")),
    ("sms", _("SMS")),
    ("wechat", _("WeChat")),
    ("chat", _("Online chat")),
    ("visit", _("Visit")),
    ("letter", _("Letter")),
    ("portal", _("Web portal")),
]
YES_NO = [("yes", _("Yes")), ("no", _("No"))]
RATINGS = [(str(n), str(n)) for n in range(5, 0, -1)]
# The written replies (标准应答话术) an agent may start a message to the customer from: the
# outbox's customer-facing templates.
REPLY_TEMPLATES = (
    "complaint.received",
    "info.requested",
    "solution.communicated",
    "callback.survey",
    "complaint.closed",
    "complaint.rejected",
    "complaint.merged",
)


def local_name(obj: Any) -> str:
    """A policy item's or department's name in the active language."""
    if obj is None:
        return ""
    english = not (translation.get_language() or "zh-hans").startswith("zh")
    return obj.name_en if english and getattr(obj, "name_en", "") else obj.name


def local_input(moment: datetime | None) -> str:
    """A moment as a ``datetime-local`` input shows it (site time zone)."""
    return timezone.localtime(moment).strftime(DATETIME_INPUT) if moment else ""


def _yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


class DataSelect(forms.Select):
    """A select whose options carry data attributes (``option_data[value]``): the department
    of a handler (so the page can offer only that department's people) or a reply's text."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.option_data: dict[str, dict[str, str]] = {}

    def __deepcopy__(self, memo: dict[int, Any]) -> DataSelect:
        # Each form gets its own copy of a declared field's widget: its own option data too.
        obj = super().__deepcopy__(memo)
        obj.option_data = {}
        return obj

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        option["attrs"].update(self.option_data.get(str(value), {}))
        return option


def text_field(label: Promise, *, required: bool = True, rows: int = 3, **attrs: Any):
    return forms.CharField(
        label=label,
        required=required,
        max_length=LONG_TEXT,
        widget=forms.Textarea(attrs={"rows": rows, **attrs}),
    )


def moment_field(label: Promise, *, required: bool = False) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_INPUT),
    )


def yes_no_field(label: Promise, *, required: bool, blank: Promise | None = None):
    choices = YES_NO if required else [("", blank or "—"), *YES_NO]
    widget = forms.RadioSelect if required else forms.Select
    return forms.TypedChoiceField(
        label=label,
        choices=choices,
        coerce=_yes_no,
        empty_value=None,
        required=required,
        widget=widget,
    )


# --- what the forms offer --------------------------------------------------------------------


class FormChoices:
    """The choices the forms of one complaint offer, read lazily and once: the policy's
    levels, categories and root causes, the departments and their people, and the complaint's
    own open tasks, solution actions, deadlines and extension requests (from its prefetched
    relations when the page has them)."""

    def __init__(self, complaint: Complaint, *, now: datetime | None = None) -> None:
        self.complaint = complaint
        self.now = now or timezone.now()

    @cached_property
    def policy(self) -> PolicyDoc:
        return self.complaint.policy.doc

    @cached_property
    def departments(self) -> list[Department]:
        return list(Department.objects.order_by("code"))

    @cached_property
    def department_by_pk(self) -> dict[int, Department]:
        return {d.pk: d for d in self.departments}

    @cached_property
    def department_by_code(self) -> dict[str, Department]:
        return {d.code: d for d in self.departments}

    def department_choices(self, blank: Promise | str | None = None) -> list[tuple[str, str]]:
        head = [("", blank)] if blank is not None else []
        return head + [(d.code, local_name(d)) for d in self.departments]

    @cached_property
    def department_people(self) -> list[User]:
        """Active handlers and managers, the people a case or a task can be given to."""
        return list(
            User.objects.filter(role__in=(Role.HANDLER, Role.MANAGER), is_active=True)
            .exclude(department=None)
            .order_by("department_id", "role", "display_name", "username")
        )

    def people_choices(self, widget: DataSelect, blank: Promise) -> list[Any]:
        """People grouped by department; each option says its department for the page."""
        groups: dict[int, list[tuple[str, str]]] = {}
        for person in self.department_people:
            label = str(person)
            if person.role == Role.MANAGER:
                label = f"{label} ({Role.MANAGER.label})"
            groups.setdefault(person.department_id, []).append((str(person.pk), label))
            dept = self.department_by_pk.get(person.department_id)
            widget.option_data[str(person.pk)] = {"data-department": dept.code if dept else ""}
        choices: list[Any] = [("", blank)]
        for dept_id, people in groups.items():
            choices.append((local_name(self.department_by_pk.get(dept_id)), people))
        return choices

    def level_choices(self) -> list[tuple[str, str]]:
        return [(lv.code, local_name(lv)) for lv in self.policy.levels]

    def category_choices(self) -> list[tuple[str, str]]:
        return [(c.code, local_name(c)) for c in self.policy.categories]

    def root_cause_choices(self, blank: Promise | None = None) -> list[tuple[str, str]]:
        head = [("", blank)] if blank is not None else []
        return head + [(r.code, local_name(r)) for r in self.policy.root_causes]

    def milestone_name(self, kind: str, fallback: str = "") -> str:
        rules = [*self.policy.milestones, *self.policy.channel_rules]
        rule = next((r for r in rules if r.kind == kind), None)
        return local_name(rule) if rule else (fallback or kind)

    def suggested_department(self) -> str:
        from kesu.complaints.services.transitions import suggest_route

        try:
            dept, _owner = suggest_route(self.complaint, self.policy)
        except DomainError:  # the category's department is not set up: no default
            return ""
        return dept.code

    def open_tasks(self) -> list[Task]:
        return [t for t in self.complaint.tasks.all() if t.status == Task.Status.OPEN]

    def open_solution_actions(self) -> list[SolutionAction]:
        return [
            act
            for sol in self.complaint.solutions.all()
            if sol.status == SolutionStatus.APPROVED
            for act in sol.actions.all()
            if act.done_at is None
        ]

    def pending_solution(self):
        pending = [
            s for s in self.complaint.solutions.all() if s.status == SolutionStatus.PENDING_APPROVAL
        ]
        return pending[-1] if pending else None

    def running_milestones(self):
        return [
            ms
            for ms in self.complaint.milestones.all()
            if ms.round.number == self.complaint.round_no
            and ms.status in (MilestoneStatus.OPEN, MilestoneStatus.PAUSED)
        ]

    def requested_extensions(self) -> list[DeadlineExtension]:
        return [
            ext
            for ms in self.complaint.milestones.all()
            for ext in ms.extensions.all()
            if ext.status == DeadlineExtension.Status.REQUESTED
        ]

    @cached_property
    def reply_templates(self) -> list[tuple[str, str, str]]:
        """(event, subject, text) of each written reply, filled in for this complaint: the
        customer, number, deadline and the rest of what the outbox fills, except the private
        portal link, which is the customer's alone. An admin's template for email wins over
        the default text, as when the outbox sends it; one query for all of them."""
        from kesu.complaints.services.notifications import base_context
        from kesu.outbox.default_templates import DEFAULT_TEMPLATES
        from kesu.outbox.models import Language, MessageTemplate
        from kesu.outbox.rendering import normalize_language, render_text

        context = base_context(self.complaint)
        context.pop("link", None)
        language = normalize_language(translation.get_language())
        edited = {
            event: (subject, body)
            for event, subject, body in MessageTemplate.objects.filter(
                event__in=REPLY_TEMPLATES, channel="email", language=language
            ).values_list("event", "subject", "body")
        }
        found = []
        for event in REPLY_TEMPLATES:
            text = edited.get(event)
            if text is None:
                default = DEFAULT_TEMPLATES.get((event, language)) or DEFAULT_TEMPLATES.get(
                    (event, Language.ZH_HANS)
                )
                if default is None:
                    continue
                text = (default["subject"], default["body"])
            found.append((event, render_text(text[0], context), render_text(text[1], context)))
        return found


# --- the action forms ------------------------------------------------------------------------


class ActionForm(CheckedForm):
    """A form for one action: the complaint's ``version`` travels with it, so a page that is
    out of date is refused as "changed by someone else"."""

    action: ClassVar[str]
    multipart: ClassVar[bool] = False
    # Fields drawn as rows of a table rather than one by one (a solution's actions).
    row_fields: ClassVar[tuple[str, ...]] = ()

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_VERSION)

    def __init__(
        self,
        data: Any = None,
        files: Any = None,
        *,
        complaint: Complaint,
        choices: FormChoices | None = None,
    ) -> None:
        super().__init__(data, files, auto_id=f"id_{self.action}_%s")
        self.complaint = complaint
        self.choices = choices or FormChoices(complaint)
        self.fields["version"].initial = complaint.version
        self.setup()

    def setup(self) -> None:
        """Fill choices and initial values from the complaint and its policy."""

    @property
    def label(self) -> Promise:
        return ACTIONS[self.action].label

    @property
    def hint(self) -> str:
        """A line shown above the fields (what the action is about)."""
        return ""

    @property
    def nothing_to_do(self) -> str:
        """Why the form cannot be sent now (no open task to complete …), or empty."""
        return ""

    def plain_fields(self) -> list[forms.BoundField]:
        return [f for f in self.visible_fields() if f.name not in self.row_fields]

    def inputs(self) -> dict[str, Any]:
        """The action's inputs as ``services.perform`` takes them."""
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}

    def error_dict(self) -> dict[str, str]:
        return {name: " ".join(str(e) for e in errors) for name, errors in self.errors.items()}


class DispatchForm(ActionForm):
    action = "dispatch"

    department = forms.ChoiceField(label=_("Department"), required=False)
    handler = forms.TypedChoiceField(
        label=_("Handler"), required=False, coerce=int, empty_value=None, widget=DataSelect
    )
    level = forms.ChoiceField(label=_("Level"))
    urgent = forms.BooleanField(label=_("Urgent"), required=False)
    category = forms.ChoiceField(label=_("Category"))
    note = text_field(_("Note"), required=False, rows=2)

    def setup(self) -> None:
        c, ch = self.complaint, self.choices
        self.fields["department"].choices = ch.department_choices(_("By the policy's routing"))
        self.fields["department"].initial = ch.suggested_department()
        self.fields["department"].widget.attrs["data-handlers"] = "id_dispatch_handler"
        self.fields["handler"].choices = ch.people_choices(
            self.fields["handler"].widget, _("The department's managers decide")
        )
        self.fields["level"].choices = ch.level_choices()
        self.fields["level"].initial = c.level
        self.fields["urgent"].initial = c.urgent
        self.fields["category"].choices = ch.category_choices()
        self.fields["category"].initial = c.category

    def inputs(self) -> dict[str, Any]:
        data = super().inputs()
        data["department"] = data["department"] or None
        return data


class AcceptForm(ActionForm):
    action = "accept"


class MessageForm(ActionForm):
    action = "request_info"

    message = text_field(_("What the customer should send"))


class ProvideInfoForm(ActionForm):
    action = "provide_info"

    text = text_field(_("Information received"))


class NoteForm(ActionForm):
    action = "add_note"

    text = text_field(_("Internal note"))

    @property
    def hint(self) -> str:
        return str(_("Notes are for staff only; the customer never sees them."))


SOLUTION_ROWS = 3


class ProposeSolutionForm(ActionForm):
    action = "propose_solution"
    row_fields = tuple(
        f"{name}_{i}"
        for i in range(1, SOLUTION_ROWS + 1)
        for name in ("kind", "description", "amount", "owner", "due_at")
    )

    summary = text_field(_("Solution"))
    root_cause = forms.ChoiceField(label=_("Root cause"), required=False)
    root_cause_text = text_field(_("Root cause details"), required=False, rows=2)
    findings = text_field(_("Investigation findings"), required=False, rows=2)

    def setup(self) -> None:
        c, ch = self.complaint, self.choices
        for i in range(1, SOLUTION_ROWS + 1):
            self.fields[f"kind_{i}"] = forms.ChoiceField(
                label=_("Action"),
                required=i == 1,
                choices=[("", "—"), *SolutionAction.Kind.choices],
            )
            self.fields[f"description_{i}"] = forms.CharField(
                label=_("What is done"), required=False, max_length=LONG_TEXT
            )
            self.fields[f"amount_{i}"] = forms.DecimalField(
                label=_("Amount (CNY)"),
                required=False,
                min_value=Decimal("0"),
                max_digits=14,
                decimal_places=2,
            )
            owner = forms.TypedChoiceField(
                label=_("Owner"), required=False, coerce=int, empty_value=None, widget=DataSelect
            )
            owner.choices = ch.people_choices(owner.widget, "—")
            self.fields[f"owner_{i}"] = owner
            self.fields[f"due_at_{i}"] = moment_field(_("Due"))
        self.fields["root_cause"].choices = ch.root_cause_choices(
            _("As recorded") if c.root_cause else "—"
        )
        self.fields["root_cause"].initial = c.root_cause
        self.fields["root_cause_text"].initial = c.root_cause_text
        self.fields["findings"].initial = c.findings

    @property
    def hint(self) -> str:
        return str(
            _(
                "Above your approval limit the solution waits for approval; within it, it is "
                "communicated to the customer at once."
            )
        )

    def rows(self) -> list[list[forms.BoundField]]:
        names = ("kind", "description", "amount", "owner", "due_at")
        return [[self[f"{n}_{i}"] for n in names] for i in range(1, SOLUTION_ROWS + 1)]

    def inputs(self) -> dict[str, Any]:
        data = self.cleaned_data
        actions = [
            {
                "kind": data[f"kind_{i}"],
                "description": data[f"description_{i}"],
                "amount": data[f"amount_{i}"] or Decimal("0"),
                "owner": data[f"owner_{i}"],
                "due_at": data[f"due_at_{i}"],
            }
            for i in range(1, SOLUTION_ROWS + 1)
            if data.get(f"kind_{i}")
        ]
        root_cause = data["root_cause"] or None
        return {
            "summary": data["summary"],
            "actions": actions,
            "root_cause": root_cause,
            "root_cause_text": data["root_cause_text"] if root_cause else None,
            "findings": data["findings"] if root_cause else None,
        }


class ApproveForm(ActionForm):
    action = "approve_solution"

    reason = text_field(_("Comment"), required=False, rows=2)

    @property
    def hint(self) -> str:
        solution = self.choices.pending_solution()
        if solution is None:
            return ""
        return str(
            _("%(summary)s — %(amount)s CNY")
            % {"summary": solution.summary, "amount": solution.amount}
        )


class RefuseForm(ApproveForm):
    action = "refuse_solution"

    reason = text_field(_("Reason"), rows=2)


class ReportResolvedForm(ActionForm):
    action = "report_resolved"

    summary = text_field(_("What was done"), required=False, rows=2)


class PassReviewForm(ActionForm):
    action = "pass_review"

    note = text_field(_("Note"), required=False, rows=2)


class ReturnForReworkForm(ActionForm):
    action = "return_for_rework"

    reason = text_field(_("What is missing"), rows=2)


class CallbackForm(ActionForm):
    action = "record_callback"

    reached = yes_no_field(_("Customer reached"), required=True)
    method = forms.ChoiceField(label=_("How"), choices=CONTACT_CHANNELS, initial="phone")
    outcome_rating = forms.TypedChoiceField(
        label=_("Satisfaction with the outcome (1–5)"),
        choices=[("", "—"), *RATINGS],
        coerce=int,
        empty_value=None,
        required=False,
    )
    process_rating = forms.TypedChoiceField(
        label=_("Satisfaction with the handling (1–5)"),
        choices=[("", "—"), *RATINGS],
        coerce=int,
        empty_value=None,
        required=False,
    )
    accepted = yes_no_field(_("Accepts the outcome"), required=False)
    notes = text_field(_("Notes"), required=False, rows=2)

    @property
    def hint(self) -> str:
        return str(
            _(
                "Not accepted: the complaint goes back to the department as a new handling "
                "round. Not reached: after the policy's attempts it closes as unreachable."
            )
        )


class ReopenForm(ActionForm):
    action = "reopen"

    reason = text_field(_("Why the customer is not satisfied"), rows=2)


class RejectForm(ActionForm):
    action = "reject"

    reason = text_field(_("Reason"), rows=2)
    recourse = text_field(_("Recourse open to the customer"), required=False, rows=2)

    def setup(self) -> None:
        self.fields["recourse"].initial = self.choices.policy.rejection_recourse


class MergeForm(ActionForm):
    action = "merge"

    into = forms.CharField(
        label=_("Number of the complaint to keep"),
        max_length=32,
        widget=forms.TextInput(attrs={"placeholder": "KS-20261116-0001"}),
    )

    def clean_into(self) -> str:
        return self.cleaned_data["into"].strip()


class AcknowledgeForm(ActionForm):
    action = "acknowledge"

    channel = forms.ChoiceField(label=_("How"), choices=CONTACT_CHANNELS, initial="phone")
    summary = text_field(_("What the customer was told"), required=False, rows=2)


class ReassignForm(ActionForm):
    action = "reassign"

    department = forms.ChoiceField(label=_("Department"), required=False)
    handler = forms.TypedChoiceField(
        label=_("Handler"), required=False, coerce=int, empty_value=None, widget=DataSelect
    )
    reason = text_field(_("Reason"), required=False, rows=2)

    def setup(self) -> None:
        ch = self.choices
        self.fields["department"].choices = ch.department_choices(_("Keep the department"))
        self.fields["department"].widget.attrs["data-handlers"] = "id_reassign_handler"
        self.fields["handler"].choices = ch.people_choices(
            self.fields["handler"].widget, _("The department's managers decide")
        )

    def inputs(self) -> dict[str, Any]:
        data = super().inputs()
        data["department"] = data["department"] or None
        return data


class ChangeLevelForm(ActionForm):
    action = "change_level"

    level = forms.ChoiceField(label=_("Level"))
    urgent = forms.BooleanField(label=_("Urgent"), required=False)
    reason = text_field(_("Reason"), rows=2)

    def setup(self) -> None:
        self.fields["level"].choices = self.choices.level_choices()
        self.fields["level"].initial = self.complaint.level
        self.fields["urgent"].initial = self.complaint.urgent

    @property
    def hint(self) -> str:
        return str(_("Running deadlines are recomputed for the new level."))


class LogCommunicationForm(ActionForm):
    action = "log_communication"

    channel = forms.ChoiceField(label=_("Channel"), choices=CONTACT_CHANNELS, initial="phone")
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=CommunicationDirection.choices,
        initial=CommunicationDirection.OUTBOUND,
        widget=forms.RadioSelect,
    )
    template = forms.ChoiceField(
        label=_("Start from a standard reply"), required=False, widget=DataSelect
    )
    summary = text_field(_("Summary"), rows=5)
    at = moment_field(_("When (if not now)"))

    def setup(self) -> None:
        widget = self.fields["template"].widget
        widget.attrs["data-reply-into"] = "id_log_communication_summary"
        choices: list[tuple[str, str]] = [("", "—")]
        for event, subject, text in self.choices.reply_templates:
            choices.append((event, subject))
            widget.option_data[event] = {"data-text": text}
        self.fields["template"].choices = choices
        self.fields["at"].widget.attrs["max"] = local_input(self.choices.now)


class AttachmentForm(ActionForm):
    action = "add_attachment"
    multipart = True

    file = forms.FileField(label=_("File"))
    visible_to_customer = forms.BooleanField(
        label=_("The customer may see it"), required=False, initial=True
    )

    @property
    def hint(self) -> str:
        from django.conf import settings
        from django.template.defaultfilters import filesizeformat

        return str(
            _("Photos, PDF, Office documents, text or audio, up to %(size)s.")
            % {"size": filesizeformat(settings.KESU_MAX_UPLOAD_BYTES)}
        )


class RootCauseForm(ActionForm):
    action = "set_root_cause"

    root_cause = forms.ChoiceField(label=_("Root cause"))
    root_cause_text = text_field(_("Root cause details"), required=False, rows=2)
    findings = text_field(_("Investigation findings"), required=False, rows=3)

    def setup(self) -> None:
        c = self.complaint
        self.fields["root_cause"].choices = self.choices.root_cause_choices()
        self.fields["root_cause"].initial = c.root_cause
        self.fields["root_cause_text"].initial = c.root_cause_text
        self.fields["findings"].initial = c.findings


class AddTaskForm(ActionForm):
    action = "add_task"

    department = forms.ChoiceField(label=_("Department"))
    title = forms.CharField(label=_("Task"), max_length=200)
    owner = forms.TypedChoiceField(
        label=_("Owner"), required=False, coerce=int, empty_value=None, widget=DataSelect
    )
    due_at = moment_field(_("Due"))
    required = forms.BooleanField(
        label=_("Must be done before the complaint is resolved"), required=False, initial=True
    )

    def setup(self) -> None:
        ch = self.choices
        self.fields["department"].choices = ch.department_choices()
        self.fields["department"].widget.attrs["data-handlers"] = "id_add_task_owner"
        self.fields["owner"].choices = ch.people_choices(
            self.fields["owner"].widget, _("The department's managers decide")
        )


class CompleteTaskForm(ActionForm):
    action = "complete_task"

    task = forms.TypedChoiceField(label=_("Task"), coerce=int)
    result = text_field(_("Result"), rows=2)

    def setup(self) -> None:
        self.fields["task"].choices = [
            (
                str(t.pk),
                f"{t.title} ({local_name(self.choices.department_by_pk.get(t.department_id))})",
            )
            for t in self.choices.open_tasks()
        ]

    @property
    def nothing_to_do(self) -> str:
        return "" if self.fields["task"].choices else str(_("No open task."))


class CompleteActionForm(ActionForm):
    action = "complete_action"

    action_id = forms.TypedChoiceField(label=_("Action"), coerce=int)

    def setup(self) -> None:
        self.fields["action_id"].choices = [
            (str(a.pk), f"{a.get_kind_display()} {a.description[:60]}".strip())
            for a in self.choices.open_solution_actions()
        ]

    @property
    def nothing_to_do(self) -> str:
        return "" if self.fields["action_id"].choices else str(_("Every action is done."))


class MeetingForm(ActionForm):
    action = "record_meeting"

    held_at = moment_field(_("Held at"), required=True)
    participants = text_field(_("Participants"), rows=2)
    decision = text_field(_("Decision"), rows=3)

    def setup(self) -> None:
        self.fields["held_at"].initial = local_input(self.choices.now)
        self.fields["held_at"].widget.attrs["max"] = local_input(self.choices.now)


class RequestExtensionForm(ActionForm):
    action = "request_extension"

    milestone = forms.ChoiceField(label=_("Deadline"))
    hours = forms.FloatField(
        label=_("More time (hours)"), widget=forms.NumberInput(attrs={"step": "0.5", "min": "0"})
    )
    reason = text_field(_("Reason"), rows=2)

    def setup(self) -> None:
        self.fields["milestone"].choices = [
            (ms.kind, self.choices.milestone_name(ms.kind, ms.name))
            for ms in self.choices.running_milestones()
        ]

    @property
    def nothing_to_do(self) -> str:
        return "" if self.fields["milestone"].choices else str(_("No deadline is running."))


class DecideExtensionForm(ActionForm):
    action = "decide_extension"

    extension = forms.TypedChoiceField(label=_("Request"), coerce=int)
    approve = yes_no_field(_("Approve"), required=True)
    reason = text_field(_("Reason"), required=False, rows=2)

    def setup(self) -> None:
        hours = _("+%(hours)s h")
        self.fields["extension"].choices = [
            (
                str(ext.pk),
                f"{self.choices.milestone_name(ext.milestone.kind, ext.milestone.name)} "
                f"{hours % {'hours': f'{ext.seconds / 3600:g}'}} · {ext.requested_by} · "
                f"{ext.reason[:60]}",
            )
            for ext in self.choices.requested_extensions()
        ]

    @property
    def nothing_to_do(self) -> str:
        return "" if self.fields["extension"].choices else str(_("No request is waiting."))


ACTION_FORMS: dict[str, type[ActionForm]] = {
    form.action: form
    for form in (
        DispatchForm,
        AcceptForm,
        MessageForm,
        ProvideInfoForm,
        ProposeSolutionForm,
        ApproveForm,
        RefuseForm,
        ReportResolvedForm,
        PassReviewForm,
        ReturnForReworkForm,
        CallbackForm,
        ReopenForm,
        RejectForm,
        MergeForm,
        AcknowledgeForm,
        ReassignForm,
        ChangeLevelForm,
        NoteForm,
        LogCommunicationForm,
        AttachmentForm,
        RootCauseForm,
        AddTaskForm,
        CompleteTaskForm,
        CompleteActionForm,
        MeetingForm,
        RequestExtensionForm,
        DecideExtensionForm,
    )
}


# --- intake ----------------------------------------------------------------------------------

MAX_INTAKE_FILES = 10


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked as a file, the service checks the rest."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else [data]
        files = [f for f in files if f]
        if len(files) > MAX_INTAKE_FILES:
            raise forms.ValidationError(
                _("Attach at most %(n)s files; add more on the complaint page.")
                % {"n": MAX_INTAKE_FILES}
            )
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


def _intake_widget(name: str, widget: forms.Widget) -> forms.Widget:
    widget.attrs["data-test"] = f"intake-{name}"
    return widget


class IntakeForm(CheckedForm):
    """A complaint as customer service records it (``services.intake.NewComplaint``)."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    customer_name = forms.CharField(label=_("Customer name or company"), max_length=100)
    customer_company = forms.CharField(label=_("Company"), max_length=200, required=False)
    customer_phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    customer_email = forms.CharField(label=_("Email"), max_length=254, required=False)
    account_code = forms.CharField(label=_("Customer account code"), max_length=40, required=False)
    channel = forms.ChoiceField(label=_("Channel"))
    platform_case_no = forms.CharField(
        label=_("Platform case number"), max_length=60, required=False
    )
    received_at = moment_field(_("Received at"), required=True)
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    description = text_field(_("Description"), rows=6)
    demand = text_field(_("The customer's demand"), required=False, rows=2)
    claimed_amount = forms.DecimalField(
        label=_("Claimed amount (CNY)"),
        required=False,
        min_value=Decimal("0"),
        max_digits=14,
        decimal_places=2,
    )
    category = forms.ChoiceField(label=_("Category"), required=False)
    level = forms.ChoiceField(label=_("Level"), required=False)
    urgent = yes_no_field(_("Urgent"), required=False, blank=_("As suggested"))
    order_no = forms.CharField(label=_("Order no."), max_length=60, required=False)
    waybill_no = forms.CharField(label=_("Waybill no."), max_length=60, required=False)
    contract_no = forms.CharField(label=_("Contract no."), max_length=60, required=False)
    goods = forms.CharField(label=_("Goods"), max_length=200, required=False)
    origin = forms.CharField(label=_("Origin"), max_length=100, required=False)
    destination = forms.CharField(label=_("Destination"), max_length=100, required=False)
    product = forms.CharField(label=_("Product"), max_length=200, required=False)
    batch_no = forms.CharField(label=_("Batch no."), max_length=60, required=False)
    incident_at = moment_field(_("Incident time"))
    incident_place = forms.CharField(label=_("Incident place"), max_length=200, required=False)
    attachments = MultipleFileField(label=_("Attachments"), required=False)

    # Fields of the form that are not NewComplaint's.
    NOT_INPUTS: ClassVar[frozenset[str]] = frozenset({"idempotency_key", "attachments"})
    LOOKUP: ClassVar[tuple[str, ...]] = (
        "customer_name",
        "customer_phone",
        "customer_email",
        "category",
        "order_no",
        "waybill_no",
    )
    SUGGEST: ClassVar[tuple[str, ...]] = (
        "title",
        "description",
        "demand",
        "claimed_amount",
        "category",
        "account_code",
        "customer_phone",
    )
    BUSINESS: ClassVar[tuple[str, ...]] = (
        "order_no",
        "waybill_no",
        "contract_no",
        "goods",
        "origin",
        "destination",
        "product",
        "batch_no",
        "incident_at",
        "incident_place",
    )

    def __init__(self, *args: Any, policy: PolicyDoc, now: datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.policy = policy
        self.fields["idempotency_key"].initial = uuid.uuid4().hex
        labels = dict(Channel.choices)
        self.fields["channel"].choices = [("", "—")] + [
            (code, labels.get(code, code)) for code in policy.channels
        ]
        self.fields["category"].choices = [("", _("As suggested"))] + [
            (c.code, local_name(c)) for c in policy.categories
        ]
        self.fields["level"].choices = [("", _("As suggested"))] + [
            (lv.code, local_name(lv)) for lv in policy.levels
        ]
        self.fields["received_at"].initial = local_input(now)
        self.fields["received_at"].widget.attrs["max"] = local_input(now)
        for name, field in self.fields.items():
            _intake_widget(name, field.widget)
        # What the page's look-ups listen to: the customer's earlier complaints and repeats,
        # and the policy's suggestions.
        for name in self.LOOKUP:
            self.fields[name].widget.attrs["class"] = "lookup-field"
        for name in self.SUGGEST:
            classes = self.fields[name].widget.attrs.get("class", "")
            self.fields[name].widget.attrs["class"] = f"{classes} suggest-field".strip()
        case_channels = [r.channel for r in policy.channel_rules if r.requires_case_number]
        self.fields["platform_case_no"].widget.attrs["data-required-for"] = " ".join(case_channels)
        if case_channels:
            names = "、".join(str(labels.get(ch, ch)) for ch in case_channels)
            self.fields["platform_case_no"].help_text = _("Required for: %(channels)s") % {
                "channels": names
            }
        self.fields["received_at"].help_text = _(
            "When the customer complained; earlier than now if it is recorded afterwards."
        )
        self.fields["customer_phone"].help_text = _("A phone number or an email is required.")
        for name in ("customer_name", "customer_phone", "customer_email", "category", "level"):
            self.fields[name].widget.attrs["autocomplete"] = "off"

    @property
    def business_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.BUSINESS]

    def complaint_data(self) -> dict[str, Any]:
        """``NewComplaint``'s fields from the cleaned form."""
        data = {k: v for k, v in self.cleaned_data.items() if k not in self.NOT_INPUTS}
        for name, value in data.items():
            if value is None and isinstance(self.fields[name], forms.CharField):
                data[name] = ""
        return data
