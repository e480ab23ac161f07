"""The document edit form: panels grouped the way a disclosure catalogue is read, 主题词 typed
on one line, and department choices limited to the editor's own departments."""

from __future__ import annotations

import uuid

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.forms.auth import LoginForm
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
    PublishingPanel,
    TabbedInterface,
)

from cms.admin import permissions
from content_models.record import split_keywords


class KeywordsField(forms.CharField):
    """主题词 typed as one line ("乡村振兴 农业" or "乡村振兴，农业"), stored as a list."""

    def prepare_value(self, value):
        if isinstance(value, (list, tuple)):
            return " ".join(str(v) for v in value)
        return value

    def to_python(self, value):
        text = super().to_python(value) or ""
        if isinstance(value, (list, tuple)):
            return [str(v) for v in value if str(v).strip()]
        return split_keywords(text)


class DocumentAdminForm(WagtailAdminModelForm):
    """The document form: department choices limited to the editor's own departments."""

    keywords = KeywordsField(
        label=_("主题词"), required=False, help_text=_("多个主题词用空格或顿号分隔")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("department")
        if field is not None and self.for_user is not None:
            allowed = permissions.departments_for_user(self.for_user)
            field.queryset = allowed
            if not self.instance.pk and not self.initial.get("department"):
                only = list(allowed[:2])
                if len(only) == 1:
                    self.initial["department"] = only[0].pk
        if "organ" in self.fields:
            self.fields["organ"].required = False
            self.fields["organ"].help_text = _("留空则使用部门名称")
        if not self.instance.pk and "published_at" in self.fields and not self.initial.get("published_at"):
            self.initial["published_at"] = timezone.localtime().replace(second=0, microsecond=0)

    def clean(self):
        cleaned = super().clean()
        department = cleaned.get("department")
        if "organ" in self.fields and not cleaned.get("organ") and department is not None:
            cleaned["organ"] = department.name
        return cleaned

    def is_valid(self) -> bool:
        # The attachment rows are validated after the form's own clean(): check their files then.
        return super().is_valid() and self._uploads_allowed()

    def _uploads_allowed(self) -> bool:
        """Department rules for files: an editor attaches only files of the department's collection."""
        formset = getattr(self, "formsets", {}).get("attachments")
        department = self.cleaned_data.get("department")
        if formset is None or department is None or self.for_user is None:
            return True
        ok = True
        for form in formset.forms:
            upload = getattr(form, "cleaned_data", {}).get("upload")
            if upload is not None and not permissions.upload_allowed(self.for_user, department, upload):
                form.add_error("upload", _("只能使用本部门文件库（%(name)s）中的文件")
                               % {"name": permissions.department_collection(department).name})
                ok = False
        return ok

    def clean_department(self):
        department = self.cleaned_data.get("department")
        ids = permissions.department_ids_for_user(self.for_user) if self.for_user else None
        if department is not None and ids is not None and department.pk not in ids:
            raise forms.ValidationError(_("您只能在本部门站点下编辑文件"))
        return department

    def save(self, commit=True):
        if not self.instance.source_id:
            # Documents written in the CMS have no source system: give them a stable id of ours.
            self.instance.source_id = f"cms-{uuid.uuid4().hex[:16]}"
        return super().save(commit=commit)


document_edit_handler = TabbedInterface(
    [
        ObjectList(
            [
                FieldPanel("title"),
                FieldRowPanel([FieldPanel("department"), FieldPanel("organ")]),
                FieldRowPanel([FieldPanel("doc_no"), FieldPanel("index_no")]),
                FieldRowPanel([FieldPanel("written"), FieldPanel("published_at")]),
                PublishingPanel(),
            ],
            heading=_("基本信息"),
        ),
        ObjectList(
            [
                FieldRowPanel([FieldPanel("category"), FieldPanel("topic"), FieldPanel("validity")]),
                FieldPanel("keywords"),
                FieldPanel("summary"),
            ],
            heading=_("公开属性"),
        ),
        ObjectList([FieldPanel("body")], heading=_("正文")),
        ObjectList(
            [
                InlinePanel(
                    "attachments",
                    heading=_("附件"),
                    label=_("附件"),
                    # The file's type and size are read from the uploaded bytes (cms/admin/attachments.py):
                    # shown, not typed. Rows are ordered by dragging and removed with the row's delete button.
                    panels=[
                        FieldPanel("title"),
                        FieldPanel("upload"),
                        FieldPanel("file"),
                        FieldRowPanel([FieldPanel("file_type", read_only=True), FieldPanel("size_bytes", read_only=True)]),
                    ],
                )
            ],
            heading=_("附件"),
        ),
        ObjectList(
            [
                MultiFieldPanel(
                    [FieldPanel("interprets"), FieldPanel("replaced_by")],
                    heading=_("关联文件"),
                ),
            ],
            heading=_("关联"),
        ),
    ],
    base_form_class=DocumentAdminForm,
)


class ChineseLoginForm(LoginForm):
    """Wagtail's login form with its password field labelled (Wagtail leaves the label to the
    field name, "Password", which no catalogue translates)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].label = _("密码")
