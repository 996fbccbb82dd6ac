"""The missions of the agreement, with their stable codes and French labels."""

from __future__ import annotations

from enum import StrEnum


class Mission(StrEnum):
    """Missions of a community (ACI art. 5; avenant 2 adds the crisis mission)."""

    ACCESS = "access"
    PATHWAYS = "pathways"
    PREVENTION = "prevention"
    CRISIS = "crisis"
    QUALITY = "quality"
    SUPPORT = "support"

    @property
    def label(self) -> str:
        return MISSION_LABELS[self]


MISSION_LABELS: dict[Mission, str] = {
    Mission.ACCESS: "Accès aux soins",
    Mission.PATHWAYS: "Parcours pluriprofessionnels",
    Mission.PREVENTION: "Prévention",
    Mission.CRISIS: "Réponse aux crises sanitaires graves",
    Mission.QUALITY: "Qualité et pertinence des soins",
    Mission.SUPPORT: "Accompagnement des professionnels de santé",
}

#: The order in which missions are listed everywhere (the order of the agreement).
MISSION_ORDER: tuple[Mission, ...] = tuple(Mission)
