"""Self-declared identity: a device that states its maker, model, firmware or serial is read
wherever it says so, through one vendor dictionary and the platform grammars.

Every value below is one a real device sent; the corpus row (corpus/*.jsonl or the shared
corpus) and its public source are named in each test.
"""

from __future__ import annotations

import pytest

from scanner.model import Observation, Verdict
from scanner.recognize import Recognizer, orgs

RECOGNIZER = Recognizer.load()
VOCABULARY = RECOGNIZER.database.vocabulary


def _verdict(*pairs: tuple[str, str]) -> Verdict:
    obs = [Observation("198.18.0.9", None, "test", f, v) for f, v in pairs]
    return RECOGNIZER.device("198.18.0.9", obs).verdict


def _devinfo(manufacturer: str, model: str, firmware: str, serial: str) -> str:
    return (
        '<tds:GetDeviceInformationResponse xmlns:tds="http://www.onvif.org/ver10/device/wsdl">'
        f"<tds:Manufacturer>{manufacturer}</tds:Manufacturer><tds:Model>{model}</tds:Model>"
        f"<tds:FirmwareVersion>{firmware}</tds:FirmwareVersion>"
        f"<tds:SerialNumber>{serial}</tds:SerialNumber></tds:GetDeviceInformationResponse>"
    )


@pytest.mark.parametrize(
    "spelling",
    [
        "HIKVISION",
        "Hangzhou Hikvision Digital Technology Co.,Ltd.",  # IEEE registrant of 58:50:ED
        "hikvision.com",
        "http://www.hikvision.com/",
        "Hikvision Digital Technology",
    ],
)
def test_one_maker_however_it_is_spelled(spelling: str) -> None:
    assert VOCABULARY.canonical(spelling) == "Hikvision"


def test_organisation_core_drops_legal_forms_places_and_urls() -> None:
    assert orgs.core("Zhejiang Dahua Technology Co., Ltd.") == "dahua"
    assert orgs.core("http://www.axis.com/") == "axis"
    assert orgs.core("Airespace.AP120") != orgs.core("ap120"), "not every dot is a domain"
    assert orgs.display("Shenzhen Foo Technology Co.,Ltd") == "Foo"


def test_a_upnp_manufacturer_no_fingerprint_lists_names_the_maker_and_kind() -> None:
    """corpus/samples-lan-infra.jsonl li0031: a FRITZ!Box 7590 description (kbr/fritzconnection
    tests/xml/igddesc.xml) says <manufacturer>AVM Berlin</manufacturer>."""
    description = (
        '<?xml version="1.0"?><root xmlns="urn:schemas-upnp-org:device-1-0"><device>'
        "<deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:1</deviceType>"
        "<friendlyName>FRITZ!Box 7590</friendlyName><manufacturer>AVM Berlin</manufacturer>"
        "<manufacturerURL>http://www.avm.de</manufacturerURL>"
        "<modelDescription>FRITZ!Box 7590</modelDescription><modelName>FRITZ!Box 7590</modelName>"
        "<modelNumber>avm</modelNumber></device></root>"
    )
    verdict = _verdict(("upnp.description", description))
    assert verdict.manufacturer == "AVM"
    assert verdict.device_type == "router" and verdict.is_camera is False
    assert verdict.reason.startswith("AVM by its own word (upnp.description manufacturer")


def test_an_oem_label_and_the_platform_grammars_name_the_maker() -> None:
    """An Annke I61DR (Hikvision-made; maciej-or/hikvision_next#36) keeps Hikvision's firmware
    and serial grammars under its own label: maker Hikvision, brand Annke, all fields filled."""
    verdict = _verdict(
        (
            "onvif.device_information",
            _devinfo("ANNKE", "I61DR", "V5.4.5 build 170123", "I61DR20161217AAWR691257591"),
        )
    )
    assert (verdict.manufacturer, verdict.brand) == ("Hikvision", "Annke")
    assert verdict.model == "I61DR"
    assert verdict.firmware == "V5.4.5 build 170123"
    assert verdict.serial == "I61DR20161217AAWR691257591"
    assert verdict.confidence >= 0.8


def test_a_dahua_firmware_grammar_names_dahua_under_an_unknown_label() -> None:
    """Dahua's build string (rroller/dahua#90) under a label nobody knows stays Dahua."""
    verdict = _verdict(
        (
            "onvif.device_information",
            _devinfo(
                "General", "IPC-HDBW4231F-AS", "V2.800.0000018.0.R, Build Date: 2021-07-07", "x"
            ),
        )
    )
    assert verdict.manufacturer == "Dahua"


def test_an_unknown_self_declared_maker_is_taken_at_its_word_but_weakly() -> None:
    """corpus/samples-cams.jsonl cm0064 (MKPaeg/onvif test/serverMockup): Manufacturer
    'Ozray Co., Ltd.', a maker camscan's vocabulary does not know: shown without its legal
    form, at low confidence."""
    verdict = _verdict(("onvif.device_information", _devinfo("Ozray Co., Ltd.", "HK", "1.0", "1")))
    known = _verdict(("onvif.device_information", _devinfo("Bosch", "HK", "1.0", "1")))
    assert verdict.manufacturer == "Ozray"
    assert verdict.confidence < known.confidence
    assert "not in camscan's vocabulary" in " ".join(e.description for e in verdict.evidence)


def test_a_placeholder_vendor_names_nobody() -> None:
    """corpus/samples-cams.jsonl cm0041 (home-assistant/core#84551): Manufacturer IPCAM."""
    verdict = _verdict(
        ("onvif.device_information", _devinfo("IPCAM", "IPC", "v5.3.1.1811211102", "gm8135_v2"))
    )
    assert verdict.manufacturer is None
    assert verdict.firmware == "v5.3.1.1811211102"


def test_an_acronym_in_free_text_is_not_a_maker() -> None:
    """corpus/samples-lan-consumer.jsonl lc0102: a Tripp Lite card's sysDescr says 'Ubuntu
    16.04.4 LTS'; LTS is also a Hikvision OEM label, and must not be read as one."""
    verdict = _verdict(
        (
            "snmp.sysdescr",
            "Ubuntu 16.04.4 LTS Linux 4.4.31 flash: 3.4G ram: 247204kB processor: armv7l "
            "software: PowerAlert 15.5.4 (Build 1045)",
        )
    )
    assert verdict.manufacturer not in ("Hikvision", "LTS")


def test_a_chipset_sdk_vendor_is_never_the_maker() -> None:
    """corpus/samples-lan-infra.jsonl li0090 (lbryio/aioupnp replay of an Actiontec GT784WN):
    the Broadcom reference SDK leaves manufacturerURL broadcom.com."""
    description = (
        '<?xml version="1.0"?><root xmlns="urn:schemas-upnp-org:device-1-0"><device>'
        "<deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:1</deviceType>"
        "<friendlyName>Actiontec GT784WN</friendlyName><manufacturer>Actiontec</manufacturer>"
        "<manufacturerURL>http://www.broadcom.com/</manufacturerURL>"
        "<modelName>GT784WN</modelName></device></root>"
    )
    verdict = _verdict(("upnp.description", description))
    assert verdict.manufacturer == "Actiontec"


def test_an_snmp_enterprise_number_names_its_vendor_and_net_snmp_names_nobody() -> None:
    """li0084 (fusioninventory/sysobject.ids#30) Ricoh 367; li0088 (kentik/snmp-profiles#245)
    a Synology on net-snmp's generic 8072."""
    assert _verdict(("snmp.sysobjectid", "1.3.6.1.4.1.367.1.1")).manufacturer == "Ricoh"
    assert _verdict(("snmp.sysobjectid", "1.3.6.1.4.1.8072.3.2.10")).manufacturer is None


def test_a_realm_that_is_a_mac_names_its_oui_registrant() -> None:
    """EZVIZ RTSP realm (bluenviron/mediamtx#1631): 58:8F:CF is Hangzhou Ezviz Software."""
    verdict = _verdict(("rtsp.www_authenticate", 'Digest realm="588fcf7a1dc6", nonce="f3"'))
    assert (verdict.manufacturer, verdict.brand) == ("Hikvision", "EZVIZ")


def test_a_mdns_txt_record_fills_model_and_serial() -> None:
    """corpus/samples-lan-infra.jsonl li0117 (Lansweeper.Heijden.Dns test console)."""
    verdict = _verdict(("mdns.txt", "vendor=Synology model=RS815+ serial=1760MRN646600"))
    assert (verdict.manufacturer, verdict.model, verdict.serial) == (
        "Synology",
        "RS815+",
        "1760MRN646600",
    )
    assert verdict.device_type == "nas"


def test_the_same_name_read_twice_counts_once() -> None:
    """A fingerprint that already names Hikvision in a TLS subject is not doubled by the
    self-declared O=HIKVISION of the same observation (shared corpus s0084)."""
    subject = "CN=www.hikvision.com,OU=DVRNVR,O=HIKVISION,L=HangZhou,ST=ZheJiang,C=CN"
    verdict = _verdict(("tls.subject", subject))
    ids = [e.fingerprint for e in verdict.evidence if e.observation.field == "tls.subject"]
    assert not any(i.startswith("declared.vendor/") for i in ids)


def test_no_alias_or_product_names_two_vendors() -> None:
    """Each spelling in vocabulary.toml names one vendor (compared as the loader compares)."""
    import re
    import tomllib

    from scanner.recognize.fingerprints import default_root

    table = tomllib.loads((default_root() / "vocabulary.toml").read_text(encoding="utf-8"))
    owner: dict[str, str] = {}
    clashes = []
    for vendor, spec in table["vendors"].items():
        for name in {vendor, *spec.get("aliases", []), *spec.get("products", [])}:
            folded = re.sub(r"[^0-9a-z]+", "", str(name).casefold())
            if owner.setdefault(folded, vendor) != vendor:
                clashes.append(f"{name!r}: {owner[folded]} and {vendor}")
    assert clashes == []


def test_a_brand_known_only_by_its_label_with_several_makers_is_possible() -> None:
    """oem.toml [[possible]]: a label whose lines are built by listed makers is flagged
    'possible' when the label is all that was seen, never 'covered'."""
    vocabulary = VOCABULARY
    labels = [b for b, makers in vocabulary.possible.items() if makers]
    if not labels:
        pytest.skip("oem.toml has no [[possible]] row")
    label = labels[0]
    device = RECOGNIZER.device(
        "198.18.0.9",
        [
            Observation(
                "198.18.0.9", None, "test", "onvif.scopes", f"onvif://www.onvif.org/name/{label}"
            )
        ],
    )
    assert device.compliance is not None
    assert device.compliance.status in ("possible", "unknown")
    assert device.compliance.status != "covered"


def test_a_relabelled_unit_is_the_platform_sold_under_its_stated_label() -> None:
    """corpus/samples-cams.jsonl cm0052 (hawkeye64/onvif-nvt test/data/xml/trendnet): a
    TRENDnet TV-IP320PI states TRENDnet, but its firmware and serial are Hikvision's grammars.
    The stated label is the brand, not a rival maker, and the flag is firm."""
    device = RECOGNIZER.device(
        "198.18.0.9",
        [
            Observation(
                "198.18.0.9",
                None,
                "test",
                "onvif.device_information",
                _devinfo(
                    "TRENDnet",
                    "TV-IP320PI",
                    "V5.3.4 build 160830",
                    "TV-IP320PI20161206AAWR863642784",
                ),
            )
        ],
    )
    verdict = device.verdict
    assert (verdict.manufacturer, verdict.brand) == ("Hikvision", "TRENDnet")
    assert not verdict.conflicts and verdict.confidence >= 0.8
    assert "sold as TRENDnet" in verdict.reason
    assert device.compliance is not None and device.compliance.status == "covered"


def test_a_bug_on_one_answer_costs_that_answer_not_the_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 12's isolation reaches the recognizer: a matcher that raises on one field becomes
    the host's `identify` error status; the other answers are still judged."""
    from scanner.recognize.fingerprints import Database

    real = Database.match

    def broken(self: Database, obs: Observation) -> list:  # type: ignore[type-arg]
        if obs.field == "http.title":
            raise RuntimeError("boom")
        return real(self, obs)

    monkeypatch.setattr(Database, "match", broken)
    obs = [
        Observation("198.18.0.9", 80, "http", "http.title", "anything"),
        Observation("198.18.0.9", 80, "http", "http.server", "DNVRS-Webs"),
    ]
    device = RECOGNIZER.device("198.18.0.9", obs)
    assert device.verdict.manufacturer == "Hikvision"
    status = {p.probe: p.label() for p in device.probes}
    assert status["identify"] == "error: http.title: RuntimeError: boom"
