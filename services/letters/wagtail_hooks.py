"""Staff register, route (分流) and answer letters in the Wagtail admin (来信办理)."""

from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from services.letters.models import Letter


class LetterViewSet(SnippetViewSet):
    model = Letter
    icon = "mail"
    menu_label = "来信办理"
    menu_order = 320
    add_to_admin_menu = True
    list_display = ["number", "subject", "kind", "department", "routed_department", "status", "deadline"]
    list_filter = ["status", "kind", "routed_department"]
    search_fields = ["number", "subject", "name"]
    search_backend_name = None
    panels = [
        MultiFieldPanel(
            [FieldPanel("number", read_only=True), FieldPanel("kind"), FieldPanel("name"), FieldPanel("phone"),
             FieldPanel("subject"), FieldPanel("department"), FieldPanel("text"), FieldPanel("wants_public"),
             FieldPanel("accepted_on")],
            heading="来信",
        ),
        MultiFieldPanel(
            [FieldPanel("routed_department"), FieldPanel("handler_contact"), FieldPanel("deadline"),
             FieldPanel("status")],
            heading="登记与分流",
        ),
        MultiFieldPanel(
            [FieldPanel("answer"), FieldPanel("answer_department"), FieldPanel("publish_approved")],
            heading="答复",
        ),
    ]


register_snippet(LetterViewSet)
