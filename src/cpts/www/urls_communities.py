from django.urls import path

from . import communities as views
from . import crises as crisis_views
from . import lifecycle as contract_views
from . import members as member_views

app_name = "communities"
urlpatterns = [
    path("", views.community_list, name="list"),
    path("<int:pk>/", views.community_dashboard, name="dashboard"),
    path("<int:pk>/historique/", views.community_history, name="history"),
    path("<int:pk>/lettre-intention/", contract_views.letter_of_intent, name="letter"),
    path("<int:pk>/accelerateur/", contract_views.accelerator_grant, name="accelerator"),
    path("<int:pk>/projet-de-sante/", contract_views.health_project, name="health_project"),
    path("<int:pk>/contrat/", contract_views.contract, name="contract"),
    path("<int:pk>/missions/<int:mission_pk>/", contract_views.mission, name="mission"),
    path("<int:pk>/annexe/<int:year>/", contract_views.annex, name="annex"),
    path(
        "<int:pk>/annexe/<int:year>/indicateurs/<int:indicator_pk>/",
        contract_views.indicator,
        name="indicator",
    ),
    path(
        "<int:pk>/annexe/<int:year>/livrables/<int:deliverable_pk>/",
        contract_views.deliverable,
        name="deliverable",
    ),
    path(
        "<int:pk>/annexe/<int:year>/livrables/<int:deliverable_pk>/justificatif/",
        contract_views.proof,
        name="proof",
    ),
    path(
        "<int:pk>/annexe/<int:year>/cloture/",
        contract_views.close_evaluation,
        name="close_evaluation",
    ),
    path("<int:pk>/versements/", contract_views.payments, name="payments"),
    path("<int:pk>/plans-de-crise/", crisis_views.crisis_plans, name="crisis_plans"),
    path("<int:pk>/versements/<int:payment_pk>/", contract_views.payment_detail, name="payment"),
    path("<int:pk>/membres/", member_views.members, name="members"),
    path("<int:pk>/membres/rapport-import.csv", member_views.import_report, name="members_report"),
]
