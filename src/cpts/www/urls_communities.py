from django.urls import path

from . import annex_import, annual_report, crisis_response
from . import communities as views
from . import crises as crisis_views
from . import lifecycle as contract_views
from . import members as member_views
from . import unscheduled_care as care_views

app_name = "communities"
urlpatterns = [
    path("", views.community_list, name="list"),
    path("<int:pk>/", views.community_dashboard, name="dashboard"),
    path("<int:pk>/historique/", views.community_history, name="history"),
    path(
        "<int:pk>/rapport-annuel/<int:year>/",
        annual_report.annual_report_pdf,
        name="annual_report",
    ),
    path("<int:pk>/lettre-intention/", contract_views.letter_of_intent, name="letter"),
    path(
        "<int:pk>/lettre-intention/deposer/",
        contract_views.letter_of_intent,
        {"action": "file"},
        name="letter_file",
    ),
    path(
        "<int:pk>/lettre-intention/decision/",
        contract_views.letter_of_intent,
        {"action": "decide"},
        name="letter_decide",
    ),
    path("<int:pk>/accelerateur/", contract_views.accelerator_grant, name="accelerator"),
    path("<int:pk>/projet-de-sante/", contract_views.health_project, name="health_project"),
    path(
        "<int:pk>/projet-de-sante/deposer/",
        contract_views.health_project,
        {"action": "file"},
        name="health_project_file",
    ),
    path(
        "<int:pk>/projet-de-sante/decision/",
        contract_views.health_project,
        {"action": "decide"},
        name="health_project_decide",
    ),
    path("<int:pk>/contrat/", contract_views.contract, name="contract"),
    path(
        "<int:pk>/contrat/signature/",
        contract_views.contract,
        {"action": "sign"},
        name="contract_sign",
    ),
    path(
        "<int:pk>/contrat/missions/ajout/",
        contract_views.contract,
        {"action": "add_mission"},
        name="contract_add_mission",
    ),
    path(
        "<int:pk>/contrat/resiliation/",
        contract_views.contract,
        {"action": "terminate"},
        name="contract_terminate",
    ),
    path(
        "<int:pk>/contrat/avenant/",
        contract_views.contract,
        {"action": "amendment"},
        name="contract_amendment",
    ),
    path("<int:pk>/missions/<int:mission_pk>/", contract_views.mission, name="mission"),
    path("<int:pk>/annexe/<int:year>/", contract_views.annex, name="annex"),
    path(
        "<int:pk>/annexe/<int:year>/indicateurs/<int:indicator_pk>/",
        contract_views.indicator,
        name="indicator",
    ),
    path(
        "<int:pk>/annexe/<int:year>/indicateurs/<int:indicator_pk>/valeur/",
        contract_views.indicator,
        {"action": "record"},
        name="indicator_record",
    ),
    path(
        "<int:pk>/annexe/<int:year>/indicateurs/<int:indicator_pk>/decision/",
        contract_views.indicator,
        {"action": "decide"},
        name="indicator_decide",
    ),
    path(
        "<int:pk>/annexe/<int:year>/indicateurs/<int:indicator_pk>/report/",
        contract_views.indicator,
        {"action": "carry"},
        name="indicator_carry",
    ),
    path(
        "<int:pk>/annexe/<int:year>/indicateurs/<int:indicator_pk>/liaison/",
        contract_views.indicator,
        {"action": "bind"},
        name="indicator_bind",
    ),
    path(
        "<int:pk>/annexe/<int:year>/calcul/",
        contract_views.compute_indicators,
        name="compute_indicators",
    ),
    path(
        "<int:pk>/annexe/<int:year>/compter-demandes-sas/",
        contract_views.count_sas_requests,
        name="count_sas_requests",
    ),
    path("<int:pk>/annexe/<int:year>/import/", annex_import.annex_import, name="annex_import"),
    path(
        "<int:pk>/annexe/<int:year>/import/rapport.csv",
        annex_import.annex_import_report,
        name="annex_import_report",
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
    path("<int:pk>/soins-non-programmes/", care_views.unscheduled_care, name="unscheduled_care"),
    path(
        "<int:pk>/soins-non-programmes/organisation/",
        care_views.adopt_organisation,
        name="unscheduled_care_organisation",
    ),
    path(
        "<int:pk>/soins-non-programmes/volontaires/",
        care_views.add_volunteer,
        name="unscheduled_care_volunteer",
    ),
    path(
        "<int:pk>/soins-non-programmes/volontaires/<int:volunteer_pk>/retrait/",
        care_views.deactivate_volunteer,
        name="unscheduled_care_deactivate",
    ),
    path(
        "<int:pk>/soins-non-programmes/creneaux/",
        care_views.add_slots,
        name="unscheduled_care_slots",
    ),
    path("<int:pk>/plans-de-crise/", crisis_views.crisis_plans, name="crisis_plans"),
    path("<int:pk>/plans-de-crise/<int:plan_pk>/", crisis_views.crisis_plan, name="crisis_plan"),
    path(
        "<int:pk>/plans-de-crise/<int:plan_pk>/modifications/",
        crisis_views.crisis_plan_changes,
        name="crisis_plan_changes",
    ),
    path(
        "<int:pk>/plans-de-crise/<int:plan_pk>/imprimer/",
        crisis_views.crisis_plan_print,
        name="crisis_plan_print",
    ),
    path("<int:pk>/crises/", crisis_response.community_crises, name="crises"),
    path(
        "<int:pk>/crises/<int:crisis_pk>/activer/",
        crisis_response.activate_plan,
        name="activate_crisis_plan",
    ),
    path("<int:pk>/crises/<int:crisis_pk>/", crisis_response.activation_page, name="activation"),
    path(
        "<int:pk>/crises/<int:crisis_pk>/actions/",
        crisis_response.log_action,
        name="crisis_action",
    ),
    path(
        "<int:pk>/crises/<int:crisis_pk>/mobilisation/",
        crisis_response.mobilise,
        name="crisis_mobilise",
    ),
    path(
        "<int:pk>/crises/<int:crisis_pk>/messages/",
        crisis_response.send_message,
        name="crisis_message",
    ),
    path(
        "<int:pk>/crises/<int:crisis_pk>/messages/<int:message_pk>/",
        crisis_response.message_deliveries,
        name="crisis_deliveries",
    ),
    path(
        "<int:pk>/crises/<int:crisis_pk>/cloture/",
        crisis_response.close_activation,
        name="crisis_close",
    ),
    path("<int:pk>/versements/<int:payment_pk>/", contract_views.payment_detail, name="payment"),
    path("<int:pk>/membres/", member_views.members, name="members"),
    path("<int:pk>/membres/rapport-import.csv", member_views.import_report, name="members_report"),
]
