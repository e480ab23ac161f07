from services.module import ServiceModuleConfig


class ProposalsConfig(ServiceModuleConfig):
    """人大代表建议和政协委员提案办理: registered, assigned to a lead department (and co-handlers),
    answered within three months, public replies published as documents."""

    name = "services.proposals"
    label = "services_proposals"
    verbose_name = "建议提案办理"
    case_provider = "services.proposals.provider.cases"
    demo_data = "services.proposals.demo.load_demo"
