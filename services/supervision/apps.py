from services.module import ServiceModuleConfig


class SupervisionConfig(ServiceModuleConfig):
    name = "services.supervision"
    label = "services_supervision"
    verbose_name = "电子监察"
