from pathlib import Path

from services.module import ServiceModuleConfig


class AppointmentsConfig(ServiceModuleConfig):
    """网上预约: department windows with slots per working day; bookings never exceed a slot."""

    name = "services.appointments"
    label = "services_appointments"
    verbose_name = "预约办理"
    router = "services.appointments.api.router"
    site_pages = "services.appointments.pages.site_pages"
    site_link = ("预约办理", "/appointments/")
    site_templates = Path(__file__).resolve().parent / "site_templates"
    periodic = "services.appointments.reminders.send_reminders"
    demo_data = "services.appointments.demo.load_demo"
    fast_routes = "services.appointments.api.fast_routes"
    # department staff keep their own department's rows (the admin views narrow them)
    staff_permissions = (("services_appointments", "window", "add_window"),
                         ("services_appointments", "window", "change_window"),
                         ("services_appointments", "booking", "add_booking"),
                         ("services_appointments", "booking", "change_booking"))

    def ready(self) -> None:
        from services.appointments import signals  # noqa: F401, PLC0415 - connects the receivers once the models are loaded
