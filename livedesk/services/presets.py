"""Per-industry profile fields (skin type, sizes, diet, appliances owned).

A shop picks a preset in settings; its fields are what the customer page shows and
what the host panel reads alerts from. Presets are JSON files in resources/presets,
so a shop's variant is a data change, not a code change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

from livedesk.resources_path import resource_path


@dataclass(frozen=True)
class ProfileField:
    key: str
    label_zh: str
    label_en: str
    kind: str = "text"  # text | choice | multi
    choices: tuple[str, ...] = ()  # in Chinese
    alert: bool = False  # a filled value is shown in red on the host panel (allergies, diet)
    choices_en: tuple[str, ...] = ()  # the same choices in English, where the preset has them

    def label(self, language: str) -> str:
        return self.label_zh if language.startswith("zh") else self.label_en

    def choices_in(self, language: str) -> tuple[str, ...]:
        """The choices a store seeded in ``language`` stores (its shop.language, not the UI's)."""
        return self.choices_en if language.startswith("en") and self.choices_en else self.choices


@dataclass(frozen=True)
class Preset:
    code: str
    name_zh: str
    name_en: str
    fields: tuple[ProfileField, ...]

    def field(self, key: str) -> ProfileField | None:
        return next((f for f in self.fields if f.key == key), None)


@cache
def presets() -> dict[str, Preset]:
    found: dict[str, Preset] = {}
    for path in sorted(resource_path("presets").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        fields = tuple(
            ProfileField(
                key=f["key"],
                label_zh=f["label_zh"],
                label_en=f["label_en"],
                kind=f.get("kind", "text"),
                choices=tuple(f.get("choices", ())),
                alert=bool(f.get("alert", False)),
                choices_en=tuple(f.get("choices_en", ())),
            )
            for f in data["fields"]
        )
        found[data["code"]] = Preset(data["code"], data["name_zh"], data["name_en"], fields)
    return found


def preset(code: str) -> Preset:
    try:
        return presets()[code]
    except KeyError:
        raise KeyError(f"unknown shop preset {code!r}; known: {', '.join(presets())}") from None
