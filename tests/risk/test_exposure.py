"""Exposure findings, each read from observations, statuses and ports a scan already has."""

from __future__ import annotations

import datetime as dt

from scanner.model import Observation, Outcome, ProbeStatus, Verdict
from scanner.risk import RiskSettings, assess_risks, trips
from tests.risk.helpers import TODAY, corpus_devices, recognizer

# The DESCRIBE answer of s0212 (mpromonet/webrtc-streamer issue 138), cut to its SDP head.
SDP = "v=0\no=- 1534930022996637 1534930022996637 IN IP4 192.168.1.4\ns=Media Presentation"
# Hikvision telnet prompt (rapid7/recog xml/telnet_banners.xml @ 14fa1a7211).
TELNET = "192.0.0.64 login:"
# Axis FTP greeting (rapid7/recog xml/ftp_banners.xml @ 14fa1a7211, the simulated axis-ipc's).
FTP = "220 AXIS 216FD Network Fixed Dome Camera 4.47 (Mar 13 2008) ready."
HIKVISION = Verdict("Hikvision", None, None, None, "camera", True, 0.9, (), "test")


def _obs(field: str, value: str, port: int | None, probe: str) -> Observation:
    return Observation("198.18.9.9", port, probe, field, value)


def _ids(observations: tuple[Observation, ...] = (), *, ip: str = "198.18.9.9",
         verdict: Verdict = HIKVISION, ports: tuple[int, ...] = (),
         probes: tuple[ProbeStatus, ...] = (), first_hand: bool = True,
         https: frozenset[int] | None = frozenset({443, 8443}),
         settings: RiskSettings | None = None) -> dict[str, str]:
    risks = assess_risks(
        ip, verdict, observations, probes, ports, settings or recognizer().risk,
        first_hand=first_hand, https_ports=https,
    )
    return {risk.id: risk.status for risk in risks}


def test_rtsp_open_from_camscans_own_describe() -> None:
    """An SDP answered to camscan's DESCRIBE (which never carries a login) is rtsp-open."""
    found = _ids((_obs("rtsp.sdp", SDP, 554, "rtsp"),), ports=(554,))
    assert found["rtsp-open"] == "affected"


def test_rtsp_open_from_a_capture_is_only_possible() -> None:
    """The same SDP read from a capture or a file may have followed someone's login."""
    found = _ids((_obs("rtsp.sdp", SDP, 554, "rtsp"),), first_hand=False)
    assert found["rtsp-open"] == "possible"


def test_a_challenge_is_not_rtsp_open() -> None:
    """A 401 challenge (no SDP) is the stream asking for a login: no finding."""
    challenge = _obs("rtsp.www_authenticate", 'Digest realm="IP Camera(C1214)"', 554, "rtsp")
    assert "rtsp-open" not in _ids((challenge,), ports=(554,))


def test_onvif_open_only_for_an_answer_not_a_fault() -> None:
    """GetDeviceInformation answered to the unauthenticated call is onvif-open; a SOAP fault
    (the login refusal camscan records) and a credentialed answer are not."""
    answer = ("<tds:GetDeviceInformationResponse><tds:Manufacturer>Amcrest</tds:Manufacturer>"
              "<tds:Model>IP5M-T1277EW-AI</tds:Model></tds:GetDeviceInformationResponse>")
    fault = ('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><s:Fault>'
             "<s:Reason><s:Text>Sender not Authorized</s:Text></s:Reason></s:Fault></s:Body>"
             "</s:Envelope>")
    assert _ids((_obs("onvif.device_information", answer, 80, "onvif"),))["onvif-open"] == (
        "affected"
    )
    assert "onvif-open" not in _ids((_obs("onvif.device_information", fault, 80, "onvif"),))
    credentialed = _obs("onvif.device_information", answer, 80, "credentialed")
    assert "onvif-open" not in _ids((credentialed,))


def test_telnet_and_ftp_open_from_a_port_or_a_greeting() -> None:
    """An open port 23/21, or a greeting seen, is telnet-open/ftp-open (affected)."""
    assert _ids(ports=(23, 21)) == {"telnet-open": "affected", "ftp-open": "affected"}
    greeted = _ids((_obs("telnet.banner", TELNET, 23, "banner"),
                    _obs("ftp.banner", FTP, 21, "banner")), first_hand=False)
    assert greeted == {"telnet-open": "affected", "ftp-open": "affected"}


def test_http_only_needs_a_scan_that_looked_for_https() -> None:
    """Plain HTTP with no HTTPS port open is http-only, and says when Basic is asked; not
    when HTTPS answered, nor from identify (it cannot know what was not asked)."""
    web = (_obs("http.server", "Hikvision-Webs", 80, "http"),
           _obs("http.www_authenticate", 'Basic realm="hikvision"', 80, "http"))
    risks = assess_risks("198.18.9.9", HIKVISION, web, (), (80,), recognizer().risk,
                         first_hand=True, https_ports=frozenset({443}))
    found = next(r for r in risks if r.id == "http-only")
    assert found.status == "affected" and "Basic" in found.basis
    assert "http-only" not in _ids(web, ports=(80, 443))
    tls_ok = (ProbeStatus("https", Outcome.OK),)
    assert "http-only" not in _ids(web, ports=(80,), probes=tls_ok)
    assert "http-only" not in _ids(web, ports=(80,), first_hand=False)
    assert "http-only" not in _ids(web, ports=(80,), https=frozenset())


def test_factory_address_follows_the_maker() -> None:
    """A Hikvision device on 192.0.0.64 is on its factory address; another maker there is not."""
    assert _ids(ip="192.0.0.64")["factory-address"] == "affected"
    axis = Verdict("Axis", None, None, None, "camera", True, 0.9, (), "test")
    assert "factory-address" not in _ids(ip="192.0.0.64", verdict=axis)
    dahua = Verdict("Dahua", "Lorex", None, None, "camera", True, 0.9, (), "test")
    assert _ids(ip="192.168.1.108", verdict=dahua)["factory-address"] == "affected"


def test_old_firmware_by_build_date_and_limit() -> None:
    """s0196's V5.6.2build 190701 is 7.4 years old on 2026-12-02: old at 5 years, not at 8,
    and never reported when 0 turns the finding off or the build date is unknown."""
    device = corpus_devices()["s0196"]
    base = recognizer().risk

    def old(years: float) -> bool:
        settings = RiskSettings(base.data, years, TODAY)
        risks = assess_risks(device.ip, device.verdict, device.observations, (), (), settings)
        return any(r.id == "old-firmware" for r in risks)

    assert old(5) and not old(8) and not old(0)
    undated = Verdict("Hikvision", None, "DS-2CD2385G1-I", "V5.6.2", None, True, 0.9, (), "t")
    assert "old-firmware" not in _ids(verdict=undated)


def test_findings_are_ranked_kev_first() -> None:
    """Affected before possible, KEV first, then severity: the table shows the worst first."""
    device = corpus_devices()["s0183"]  # CVE-2017-7921 (KEV, critical) and old-firmware
    assert [r.id for r in device.risks] == ["CVE-2017-7921", "old-firmware"]


def test_fail_on_counts_affected_findings_only() -> None:
    """--fail-on kev/high/any trips on affected findings of that kind, never on possible."""
    kev_device = corpus_devices()["s0183"]
    assert trips(kev_device.risks, "kev") and trips(kev_device.risks, "high")
    possible_only = corpus_devices()["s0243"]  # CVE-2021-33044/33045 possible
    assert not trips(possible_only.risks, "any")
    old_only = corpus_devices()["s0196"]  # old-firmware (medium)
    assert trips(old_only.risks, "any") and not trips(old_only.risks, "high")
    assert not trips(kev_device.risks, None)


def test_today_matters_only_for_old_firmware() -> None:
    """The same answers judged ten years earlier lose old-firmware and nothing else."""
    device = corpus_devices()["s0183"]
    base = recognizer().risk
    earlier = RiskSettings(base.data, base.firmware_age, dt.date(2016, 12, 2))
    risks = assess_risks(device.ip, device.verdict, device.observations, (), (), earlier)
    assert [r.id for r in risks] == ["CVE-2017-7921"]
