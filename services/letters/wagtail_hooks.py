"""Staff register, route (分流) and answer letters in the Wagtail admin (来信办理)."""

import functools
from urllib.parse import unquote

from django.http import Http404
from django.utils import timezone
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, ObjectList
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from cms.admin import permissions
from services.letters.models import Letter


def scoped(queryset, user):
    """A department's staff see the letters routed to their department; administrators all."""
    ids = permissions.department_ids_for_user(user)
    return queryset if ids is None else queryset.filter(handling_department_id__in=ids)


class LetterForm(WagtailAdminModelForm):
    """Routing and transfers go through the department field and are logged with who and when."""

    def save(self, commit=True):
        before = None
        if self.instance.pk:
            before = Letter.objects.filter(pk=self.instance.pk).values_list("handling_department__name", flat=True).first()
        letter = super().save(commit=False)
        if self.instance.pk and "deadline" in self.changed_data:
            letter.deadline_from, letter.deadline_provisional = None, False  # set by hand: kept as set
        after = letter.handling_department.name if letter.handling_department_id else None
        if after != before and after:
            who = (self.for_user.get_full_name() or self.for_user.get_username()) if self.for_user else "系统"
            action = "转办" if before else "分流"
            stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M")
            letter.routing_log += f"{stamp} {who} {action}：{before or '—'} → {after}\n"
        if commit:
            letter.save()
            self.save_m2m()
        return letter


class LetterViewSet(SnippetViewSet):
    model = Letter
    icon = "mail"
    menu_label = "来信办理"
    menu_order = 320
    add_to_admin_menu = True
    list_display = ["number", "subject", "kind", "department", "routed_department", "status", "deadline",
                    "deadline_provisional"]
    list_filter = ["status", "kind", "handling_department"]
    ordering = ["status", "deadline"]
    search_fields = ["number", "subject", "name"]
    search_backend_name = None
    edit_handler = ObjectList([
        MultiFieldPanel(
            [FieldPanel("number", read_only=True), FieldPanel("kind"), FieldPanel("name"), FieldPanel("phone"),
             FieldPanel("subject"), FieldPanel("department"), FieldPanel("text"), FieldPanel("wants_public"),
             FieldPanel("accepted_on")],
            heading="来信",
        ),
        MultiFieldPanel(
            [FieldPanel("handling_department"), FieldPanel("routing_log", read_only=True),
             FieldPanel("handler_contact"), FieldPanel("deadline"), FieldPanel("status")],
            heading="登记与分流",
        ),
        MultiFieldPanel(
            [FieldPanel("answer"), FieldPanel("answer_department"), FieldPanel("publish_approved")],
            heading="答复",
        ),
    ], base_form_class=LetterForm)

    def get_queryset(self, request):
        return scoped(Letter.objects.select_related("handling_department"), request.user)

    def construct_view(self, view_class, **kwargs):
        view = super().construct_view(view_class, **kwargs)

        @functools.wraps(view)
        def wrapped(request, *args, **kw):
            pk = kw.get("pk")
            if pk is not None:
                try:
                    pk_value = int(unquote(str(pk)))
                except ValueError:
                    raise Http404 from None
                if not scoped(Letter.objects.filter(pk=pk_value), request.user).exists():
                    raise Http404
            return view(request, *args, **kw)

        return wrapped


register_snippet(LetterViewSet)
