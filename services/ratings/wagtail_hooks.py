"""Staff verify, rectify and answer bad ratings and decide appeals (好差评)."""

from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from services.ratings.models import Rating


class RatingViewSet(SnippetViewSet):
    model = Rating
    icon = "pick"
    menu_label = "好差评"
    menu_order = 325
    add_to_admin_menu = True
    list_display = ["module", "number", "level", "department", "item", "handling", "reply_deadline", "rated_at"]
    list_filter = ["level", "handling", "is_default", "department"]
    search_fields = ["number", "comment"]
    search_backend_name = None
    panels = [
        MultiFieldPanel([FieldPanel("module", read_only=True), FieldPanel("number", read_only=True),
                         FieldPanel("level", read_only=True), FieldPanel("comment", read_only=True),
                         FieldPanel("department"), FieldPanel("item")], heading="评价"),
        MultiFieldPanel([FieldPanel("handling"), FieldPanel("reply_deadline"), FieldPanel("verification"),
                         FieldPanel("rectification"), FieldPanel("reply")], heading="差评核实、整改、回复"),
        MultiFieldPanel([FieldPanel("appeal", read_only=True), FieldPanel("appeal_decision")], heading="申诉"),
    ]


register_snippet(RatingViewSet)
