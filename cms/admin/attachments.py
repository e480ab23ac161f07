"""Files editors upload on the document form reach the site like imported ones.

An attachment row may point at an uploaded file (a Wagtail document, ``Attachment.upload``).
When the row is saved (a document created, or a revision published), the uploaded file is put
into the content-addressed store (``content_models.filestore``), and the row takes the store's
hash, the size and the type read from the bytes, and the file's name: from there on the exporter,
the site build and the documents API treat it exactly as an imported attachment. The upload is
read once per file: a row whose upload and hash did not change is not read again. The words of
a new PDF, Word, Excel or OFD file are read by the build worker (``extract_attachment_texts``).
"""

from __future__ import annotations

import os

from django.conf import settings
from django.db import transaction

from cms.build.tasks import enqueue_extraction
from content_models.extract import EXTRACTABLE
from content_models.filestore import FileStore
from content_models.models import Attachment, AttachmentText


def file_store() -> FileStore:
    return FileStore(settings.GOVSITE_FILES_DIR)


def store_uploaded_file(sender, instance: Attachment, raw: bool = False, **kwargs) -> None:
    """``pre_save`` of ``Attachment``: store the uploaded file and describe it from its bytes."""
    if raw or not instance.upload_id:
        return
    store = file_store()
    if instance.sha256 and store.has(instance.sha256) and instance.pk is not None:
        before = Attachment.objects.filter(pk=instance.pk).values_list("upload_id", "sha256").first()
        if before == (instance.upload_id, instance.sha256):
            return
    upload = instance.upload
    name = os.path.basename(upload.file.name)
    with upload.file.open("rb") as fh:
        stored = store.put_stream(fh, name)
    instance.sha256 = stored.sha256
    instance.size_bytes = stored.size
    instance.file_type = stored.kind
    instance.file = name
    if not instance.title:
        instance.title = upload.title or name
    if stored.kind in EXTRACTABLE and not AttachmentText.objects.filter(sha256=stored.sha256).exists():
        transaction.on_commit(enqueue_extraction)  # its words, for search: read by the worker
