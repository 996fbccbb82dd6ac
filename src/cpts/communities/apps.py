from django.apps import AppConfig


class CommunitiesConfig(AppConfig):
    name = "cpts.communities"
    verbose_name = "Communautés"
