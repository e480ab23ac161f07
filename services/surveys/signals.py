"""Ask for a site build when what the site shows of surveys changes, and at the moments a survey
opens and closes by date (``services.site.request_site_refresh_at``, run by the build worker).

Answers change nothing on the site while a survey is open (results are published after it
closes) and ask for nothing; a moderated free-text answer of a survey whose results are
published does.
"""

from django.db.models.signals import post_delete, post_init, post_save
from django.dispatch import receiver

from services.site import request_site_refresh, request_site_refresh_at
from services.surveys.models import Question, Survey, TextAnswer


@receiver(post_init, sender=Survey)
def remember_dates(sender, instance: Survey, **kwargs) -> None:
    values = instance.__dict__
    instance._dates = (values.get("start_date"), values.get("end_date"))


@receiver(post_save, sender=Survey)
def survey_saved(sender, instance: Survey, created: bool, **kwargs) -> None:
    request_site_refresh(f"survey {instance.number}", sender=sender)
    dates = (instance.start_date, instance.end_date)
    if created or dates != getattr(instance, "_dates", None):
        request_site_refresh_at(instance.boundaries(), f"survey {instance.number} opens/closes")
    instance._dates = dates


@receiver(post_delete, sender=Survey)
@receiver(post_save, sender=Question)
@receiver(post_delete, sender=Question)
def survey_changed(sender, instance, **kwargs) -> None:
    request_site_refresh(f"survey {getattr(instance, 'number', None) or instance.pk} changed", sender=sender)


@receiver(post_save, sender=TextAnswer)
def text_moderated(sender, instance: TextAnswer, created: bool, **kwargs) -> None:
    if not created and instance.response.survey.results_published:
        request_site_refresh(f"survey text answer {instance.pk}", sender=sender)
