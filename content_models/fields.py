"""Model fields whose values keep a rule of what a document is.

A document body is always stored in the sanitizer's stored form (``content_models.sanitizer``):
cleaned when a form or a revision gives it to the model (``to_python``: the admin's edit and
preview, publishing a revision) and again whenever a row is saved (``pre_save``), so a body typed,
pasted, translated or restored in the CMS is cleaned by the same allow-list as an imported one.
"""

from wagtail.fields import RichTextField

from content_models.sanitizer import clean_html


class CleanRichTextField(RichTextField):
    """Wagtail's rich-text field, holding the sanitizer's stored form of the HTML."""

    def to_python(self, value):
        return clean_html(super().to_python(value))

    def pre_save(self, model_instance, add):
        value = clean_html(getattr(model_instance, self.attname))
        setattr(model_instance, self.attname, value)
        return value

    def deconstruct(self):
        # The column is Wagtail's: migrations keep naming RichTextField, so adopting this field
        # needs no migration (on SQLite, a changed field class would copy the whole table).
        name, _path, args, kwargs = super().deconstruct()
        return name, "wagtail.fields.RichTextField", args, kwargs
