"""The classifier keeps maker and label apart and explains every verdict in one line."""

from __future__ import annotations

from scanner.model import Observation, Verdict
from scanner.recognize import Recognizer

RECOGNIZER = Recognizer.load()


def _verdict(*pairs: tuple[str, str]) -> Verdict:
    obs = [Observation("198.18.0.7", None, "test", f, v) for f, v in pairs]
    return RECOGNIZER.device("198.18.0.7", obs).verdict


def test_platform_evidence_outweighs_a_label() -> None:
    """A DHIP answer (corpus s0242) names Dahua as maker and its Vendor field the brand Lorex."""
    reply = (
        '{"mac":"00:1f:54:a9:2e:58","method":"client.notifyDevInfo","params":{"deviceInfo":'
        '{"DeviceClass":"IPC","DeviceType":"W461ASC","Manufacturer":"Private","Vendor":"Lorex",'
        '"Version":"2.800.030000000.3.R"}}}'
    )
    verdict = _verdict(("dhip.reply", reply))
    assert (verdict.manufacturer, verdict.brand, verdict.model) == ("Dahua", "Lorex", "W461ASC")
    assert verdict.reason.startswith("Dahua platform (")
    assert "sold as Lorex" in verdict.reason


def test_a_label_alone_names_its_maker_through_the_oem_table() -> None:
    """An ONVIF name/Amcrest (corpus s0250) says Amcrest; the OEM table says Dahua makes it."""
    verdict = _verdict(("onvif.scopes", "onvif://www.onvif.org/name/Amcrest"))
    assert (verdict.manufacturer, verdict.brand) == ("Dahua", "Amcrest")
    assert "oem.toml" in verdict.reason


def test_an_oui_alone_is_weak_and_says_so() -> None:
    """A Hikvision OUI alone gives a low-confidence 'probably' verdict."""
    verdict = _verdict(("mac", "58:50:ed:1f:e3:85"))
    assert verdict.manufacturer == "Hikvision"
    assert verdict.confidence < 0.5
    assert verdict.reason.startswith("probably Hikvision")


def test_generic_software_names_nobody() -> None:
    """Boa, GoAhead and lighttpd (corpus s0168-s0177) are kept as evidence but name no maker."""
    verdict = _verdict(("http.server", "Boa/0.94.14rc18-ipcam"), ("http.server", "GoAhead-Webs"))
    assert verdict.manufacturer is None
    assert verdict.reason.startswith("maker unknown: only generic software")
    assert verdict.evidence


def test_conflicting_makers_lower_confidence_and_are_shown() -> None:
    """Strong evidence for two makers keeps the stronger, names the other, and is less sure."""
    alone = _verdict(("rtsp.server", "Dahua Rtsp Server"))
    mixed = _verdict(("rtsp.server", "Dahua Rtsp Server"), ("http.server", "DNVRS-Webs"))
    assert alone.manufacturer == "Dahua" and not alone.conflicts
    assert mixed.conflicts and mixed.confidence < alone.confidence
    assert "conflicting evidence" in mixed.reason


def test_a_locally_administered_mac_names_no_vendor() -> None:
    """The locally administered bit set: no OUI lookup, no vendor."""
    verdict = _verdict(("mac", "02:50:ed:1f:e3:85"))
    assert verdict.manufacturer is None and verdict.oui_vendor is None
