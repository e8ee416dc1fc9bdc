"""Every adapter, by the name operators give on the command line."""

from django.utils.translation import gettext as _

from integrations.adapters.base import Adapter
from integrations.adapters.kcs import Kcs
from integrations.adapters.records import (
    Registry,
    RegistryHttp,
    TaxDebt,
    TaxDebtHttp,
    Vcis,
    VcisHttp,
)
from integrations.adapters.vnaccs import VnaccsCsv, VnaccsHttp, VnaccsXlsx, VnaccsXml

ADAPTERS: dict[str, type[Adapter]] = {
    cls.name: cls
    for cls in (
        VnaccsCsv,
        VnaccsXlsx,
        VnaccsXml,
        VnaccsHttp,
        Kcs,
        Vcis,
        VcisHttp,
        Registry,
        RegistryHttp,
        TaxDebt,
        TaxDebtHttp,
    )
}
HTTP_SOURCES = tuple(name for name, cls in ADAPTERS.items() if cls.file_format == "http")


def register(cls: type[Adapter]) -> type[Adapter]:
    ADAPTERS[cls.name] = cls
    return cls


def get_adapter(name: str) -> Adapter:
    try:
        return ADAPTERS[name]()
    except KeyError:
        raise ValueError(
            _("Unknown source %(name)s; known: %(known)s")
            % {"name": name, "known": ", ".join(sorted(ADAPTERS))}
        ) from None


FILE_SOURCES = ("vnaccs-csv", "vnaccs-xlsx", "vnaccs-xml", "vcis", "registry", "tax-debt", "kcs")
