def mount_service_routers(api) -> None:
    """Mount the router of every enabled service module (filled in by the services work)."""
